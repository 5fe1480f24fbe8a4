"""A flat status badge as SVG, drawn here so nothing is fetched from elsewhere.

System fonts only (no web fonts); widths are estimated from the character count,
which is close enough for the short words a badge shows.
"""

from html import escape

from tracker.ci.models import CombinedState

_LOOK = {
    CombinedState.SUCCESS: ("passing", "#2e7d32"),
    CombinedState.FAILURE: ("failing", "#c62828"),
    CombinedState.ERROR: ("error", "#c62828"),
    CombinedState.PENDING: ("pending", "#b26a00"),
    None: ("no status", "#6b7280"),
}
_CHAR_WIDTH = 6.6  # Verdana-like 11 px text, on average
_PADDING = 10


def _width(text: str) -> int:
    return round(len(text) * _CHAR_WIDTH) + _PADDING


def badge_svg(*, label: str, state: str | None) -> str:
    message, colour = _LOOK.get(state, _LOOK[None])
    left, right = _width(label), _width(message)
    total = left + right
    text = f"{label}: {message}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" '
        f'role="img" aria-label="{escape(text)}"><title>{escape(text)}</title>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:g}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2:g}" y="14">{escape(message)}</text></g></svg>'
    )
