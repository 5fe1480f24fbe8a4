"""Server-rendered SVG charts: the same markup works on screen, in print and in PDFs
(no JavaScript). Presentation attributes only, no inline styles, so the pages'
Content-Security-Policy stays strict."""

from collections.abc import Sequence
from datetime import datetime
from html import escape

from django.utils.safestring import SafeString, mark_safe


def _scale(value: float, lo: float, hi: float, size: float) -> float:
    return size / 2 if hi == lo else (value - lo) / (hi - lo) * size


def before_after_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    baseline: float | None,
    target: float | None,
    launched_at: datetime | None,
    width: int = 320,
    height: int = 96,
    label: str = "",
) -> SafeString:
    """A line of measurements with the baseline, the target and the launch marked.

    Points before launch are drawn grey, after launch in the accent colour.
    """
    if not points:
        return mark_safe("")
    pad = 6
    times = [p[0].timestamp() for p in points]
    values = [p[1] for p in points] + [v for v in (baseline, target) if v is not None]
    t0, t1 = min(times), max(times)
    if launched_at:
        t0, t1 = min(t0, launched_at.timestamp()), max(t1, launched_at.timestamp())
    v0, v1 = min(values), max(values)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def xy(t: float, v: float) -> tuple[float, float]:
        x = pad + _scale(t, t0, t1, inner_w)
        y = pad + inner_h - _scale(v, v0, v1, inner_h)
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}">'
    ]
    for value, css, name in (
        (baseline, "chart-baseline", "baseline"),
        (target, "chart-target", "target"),
    ):
        if value is not None:
            _, y = xy(t0, value)
            parts.append(
                f'<line class="{css}" x1="{pad}" x2="{width - pad}" y1="{y}" y2="{y}" '
                f'stroke-dasharray="4 3"><title>{name} {value:g}</title></line>'
            )
    launch = launched_at.timestamp() if launched_at else None
    if launch is not None:
        x, _ = xy(launch, v0)
        parts.append(
            f'<line class="chart-launch" x1="{x}" x2="{x}" y1="{pad}" '
            f'y2="{height - pad}"><title>launch</title></line>'
        )
    coords = [xy(t, v) for t, v in zip(times, (p[1] for p in points), strict=True)]
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(f'<polyline class="chart-line" fill="none" points="{path}"/>')
    for (x, y), (when, value) in zip(coords, points, strict=True):
        after = launch is not None and when.timestamp() >= launch
        css = "chart-point-after" if after else "chart-point-before"
        parts.append(
            f'<circle class="{css}" cx="{x}" cy="{y}" r="3">'
            f"<title>{when:%Y-%m-%d}: {value:g}</title></circle>"
        )
    parts.append("</svg>")
    # Safe: built from numbers and escaped text only.
    return mark_safe("".join(parts))
