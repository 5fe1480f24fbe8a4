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
    markers: Sequence[tuple[datetime, str, str]] = (),
) -> SafeString:
    """A line of measurements with the baseline, the target and the launch marked.

    Points before launch are drawn grey, after launch in the accent colour.
    `markers` are moments drawn as vertical lines with a tooltip: (when, label,
    kind), the kind naming the line's class `chart-marker-<kind>` (e.g. a
    deployment or a rollback); those outside the points' time span are left out.
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
    for when, text, kind in markers:
        if t0 <= when.timestamp() <= t1:
            x, _ = xy(when.timestamp(), v0)
            parts.append(
                f'<line class="chart-marker-{escape(kind)}" x1="{x}" x2="{x}" '
                f'y1="{pad}" y2="{height - pad}"><title>{when:%Y-%m-%d %H:%M} '
                f"{escape(text)}</title></line>"
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


# Colours as presentation attributes, so charts look the same on screen, in print
# and in WeasyPrint's PDFs without depending on a stylesheet.
PALETTE = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#c92a2a", "#868e96"]
_TEXT = 'font-family="DejaVu Sans, sans-serif" fill="#5b6475"'


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
    )


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e5 else f"{value:,.0f}"


def stacked_bar_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    label: str,
    width: int = 560,
    height: int = 200,
) -> SafeString:
    """Vertical bars per category, stacked by series, with a legend underneath.
    One series gives a plain bar chart."""
    if not categories:
        return mark_safe("")
    legend_h = 18 if len(series) > 1 else 0
    top, bottom, left = 14, 22 + legend_h, 30
    plot_h = height - top - bottom
    totals = [
        sum(values[i] for values in series.values()) for i in range(len(categories))
    ]
    peak = max(totals) or 1
    slot = (width - left) / len(categories)
    bar_w = max(4.0, slot * 0.7)
    parts = [_svg_open(width, height, label)]
    parts.append(
        f'<line x1="{left}" x2="{width}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#cfd5e3"/>'
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="9" {_TEXT}>'
        f"{_fmt(peak)}</text>"
    )
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            h = value / peak * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(category)} · '
                f"{escape(name)}: {_fmt(value)}</title></rect>"
            )
        if totals[i]:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" '
                f'font-size="9" {_TEXT}>{_fmt(totals[i])}</text>'
            )
        centre = x + bar_w / 2
        parts.append(
            f'<text x="{centre:.1f}" y="{top + plot_h + 13}" text-anchor="middle" '
            f'font-size="9" {_TEXT}>{escape(category)}</text>'
        )
    if legend_h:
        x = left
        for s, name in enumerate(series):
            parts.append(
                f'<rect x="{x}" y="{height - 11}" width="9" height="9" '
                f'fill="{PALETTE[s % len(PALETTE)]}"/>'
                f'<text x="{x + 12}" y="{height - 3}" font-size="9" {_TEXT}>'
                f"{escape(name)}</text>"
            )
            x += 18 + 6 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    label: str,
    unit: str = "",
    width: int = 560,
    height: int = 180,
    peak: float | None = None,
) -> SafeString:
    """A line over labelled x positions (months, quarters); gaps where None.
    `peak` fixes the top of the scale (100 for percentages)."""
    known = [v for _, v in points if v is not None]
    if not known:
        return mark_safe("")
    top, bottom, left = 14, 22, 34
    plot_h, plot_w = height - top - bottom, width - left - 24
    peak = peak or max(known) or 1
    step = plot_w / max(len(points) - 1, 1)
    parts = [_svg_open(width, height, label)]
    parts.append(
        f'<line x1="{left}" x2="{width - 10}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#cfd5e3"/><text x="{left - 4}" y="{top + 4}" text-anchor="end" '
        f'font-size="9" {_TEXT}>{_fmt(peak)}{escape(unit)}</text>'
    )
    segment: list[str] = []
    for i, (name, value) in enumerate(points):
        x = left + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 13}" text-anchor="middle" '
            f'font-size="9" {_TEXT}>{escape(name)}</text>'
        )
        if value is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        y = top + plot_h - value / peak * plot_h
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}">'
            f"<title>{escape(name)}: {_fmt(value)}{escape(unit)}</title></circle>"
        )
    if len(segment) > 1:
        parts.append(_polyline(segment))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _polyline(points: list[str]) -> str:
    return (
        f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="2" '
        f'points="{" ".join(points)}"/>'
    )
