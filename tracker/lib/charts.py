"""Server-rendered SVG charts: the same markup works on screen, in print and in PDFs
(no JavaScript). Presentation attributes only (colours included, so a PDF draws
them as the page does without the site's stylesheet), no inline styles, so the
pages' Content-Security-Policy stays strict.

Every chart takes its container's width (a viewBox and width="100%"); line
charts have a labelled y-axis with its unit and readable ticks ("Dec 2025"),
and a y-range that shows the data honestly: from zero when the data is near it,
else around the data with room, so a move from 2.3 to 2.0 does not fill the
whole height and look like a crash.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Colours as presentation attributes, so charts look the same on screen, in print
# and in WeasyPrint's PDFs without depending on a stylesheet.
PALETTE = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#c92a2a", "#868e96"]
_TEXT = 'font-family="DejaVu Sans, sans-serif" fill="#5b6475"'
_GRID = "#e6e9f0"
_AXIS = "#cfd5e3"
BEFORE, AFTER, BASELINE, TARGET, LAUNCH = (
    "#9aa3b5",
    PALETTE[0],
    "#7b8496",
    "#2b8a3e",
    "#e8590c",
)
# Moments marked on a line chart (deployments and rollbacks, tracker.releases),
# coloured here and not only by CSS, so the PDFs draw them too.
MARKER_COLOURS = {"deploy": "#1098ad", "rollback": "#b42318"}
# The least share of its magnitude the y-range spans: data between 2.0 and 2.3
# is drawn on about 1.9–2.4, not stretched over the whole height.
MIN_RELATIVE_SPAN = 0.2
MONTHS = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
]


def month_label(key: str) -> str:
    """ "2026-07" → "Jul 2026"."""
    year, month = key.split("-")[:2]
    return f"{MONTHS[int(month) - 1]} {year}"


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def y_range(
    values: Sequence[float], *, lo: float | None = None, hi: float | None = None
) -> tuple[float, float, list[float]]:
    """The y-axis for `values`: (bottom, top, ticks). `lo`/`hi` fix an end (0 and
    100 for percentages). Zero is included when the data comes within half its
    largest value of it; otherwise the range spans at least MIN_RELATIVE_SPAN of
    the data's magnitude, centred on the data."""
    v0, v1 = min(values), max(values)
    magnitude = max(abs(v0), abs(v1))
    if lo is None and hi is None:
        if v0 >= 0 and v0 <= v1 / 2:
            v0 = 0.0
        elif v1 <= 0 and v1 >= v0 / 2:
            v1 = 0.0
        elif (v1 - v0) < MIN_RELATIVE_SPAN * magnitude:
            middle, half = (v0 + v1) / 2, MIN_RELATIVE_SPAN * magnitude / 2
            v0, v1 = middle - half, middle + half
    v0 = v0 if lo is None else lo
    v1 = v1 if hi is None else hi
    if v1 == v0:  # one value: a unit of room, on the free side(s)
        if lo is not None:
            v1 = v0 + 1
        elif hi is not None:
            v0 = v1 - 1
        else:
            v0, v1 = v0 - 1, v1 + 1
    step = _nice_step(v1 - v0, 4)
    if (
        lo is not None
        and hi is not None
        and float(hi - lo).is_integer()
        and hi - lo <= 10
    ):
        step = 1  # a small fixed scale (a score out of 7): every point of it
    bottom = v0 if lo is not None else math.floor(v0 / step) * step
    top = v1 if hi is not None else math.ceil(v1 / step) * step
    first = math.ceil(bottom / step - 1e-9) * step
    ticks = []
    tick = first
    while tick <= top + step * 1e-6:
        ticks.append(round(tick, 10))
        tick += step
    return bottom, top, ticks


def _time_ticks(t0: float, t1: float, most: int = 6) -> list[tuple[float, str]]:
    """Month ticks between two timestamps, labelled "Dec 2025" (every k-th month
    when there are too many); day ticks ("3 Dec") within a month or two."""
    start = datetime.fromtimestamp(t0, UTC)
    end = datetime.fromtimestamp(t1, UTC)
    months = (end.year - start.year) * 12 + end.month - start.month
    if months < 2:
        days = max((end - start).days, 1)
        every = max(1, math.ceil(days / most))
        ticks, day = [], start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day.timestamp() <= t1:
            if day.timestamp() >= t0:
                ticks.append((day.timestamp(), f"{day.day} {MONTHS[day.month - 1]}"))
            day = datetime.fromtimestamp(day.timestamp() + every * 86400, UTC)
        return ticks or [(t0, f"{start.day} {MONTHS[start.month - 1]} {start.year}")]
    every = max(1, math.ceil((months + 1) / most))
    ticks, year, month = [], start.year, start.month
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        when = datetime(year, month, 1, tzinfo=UTC).timestamp()
        if when > t1:
            break
        index = year * 12 + month - 1
        if index % every == 0:
            ticks.append((when, f"{MONTHS[month - 1]} {year}"))
    return ticks


def _scale(value: float, lo: float, hi: float, size: float) -> float:
    return size / 2 if hi == lo else (value - lo) / (hi - lo) * size


def _svg_open(width: int, height: int, label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    )


def _fmt(value: float) -> str:
    if abs(value) >= 1e5:
        return f"{value:,.0f}"
    return f"{round(value, 6):g}"


@dataclass(frozen=True, slots=True)
class _Plot:
    """The plotting area inside a chart, and the values its height spans."""

    left: float
    right: float
    top: float
    bottom: float
    lo: float
    hi: float

    def y(self, value: float) -> float:
        return round(
            self.bottom - _scale(value, self.lo, self.hi, self.bottom - self.top), 1
        )


def _open(
    size: tuple[int, int],
    label: str,
    plot: _Plot,
    ticks: list[float],
    *,
    unit: str = "",
    title: str = "",
) -> list[str]:
    """The chart's opening: the <svg>, grid lines with tick labels in `unit`, the
    axes, and the y-axis title turned along it (cut short to its height)."""
    parts = [_svg_open(*size, label)]
    left, right, top, bottom = plot.left, plot.right, plot.top, plot.bottom
    for tick in ticks:
        y = plot.y(tick)
        parts.append(
            f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{_GRID}"/><text x="{left - 4}" y="{y + 3:.1f}" '
            f'text-anchor="end" font-size="9" {_TEXT}>{_fmt(tick)}{escape(unit)}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="{_AXIS}"/>'
        f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" '
        f'stroke="{_AXIS}"/>'
    )
    if title:
        middle, room = (top + bottom) / 2, int((bottom - top) / 5.4)
        shown = escape(title)
        if len(title) > room:  # cut short, whole on hover
            shown = f"{escape(title[: max(room - 1, 1)])}…<title>{shown}</title>"
        parts.append(
            f'<text x="10" y="{middle:.1f}" transform="rotate(-90 10 {middle:.1f})" '
            f'text-anchor="middle" font-size="9" {_TEXT}>{shown}</text>'
        )
    return parts


def _x_label(x: float, y: float, text: str, width: float) -> str:
    """A tick label under the x-axis, kept inside the chart at both ends."""
    half = 2.7 * len(text)
    anchor = "middle"
    if x + half > width - 1:
        anchor, x = "end", width - 1
    elif x - half < 1:
        anchor, x = "start", 1
    return (
        f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" font-size="9" {_TEXT}>'
        f"{escape(text)}</text>"
    )


def _legend(items: list[tuple[str, str, str]], *, x: float, y: float) -> str:
    """Keys under the plot: (kind, colour, text), kind "dot" or "dash"."""
    parts = []
    for kind, colour, text in items:
        if kind == "dot":
            parts.append(f'<circle cx="{x + 4}" cy="{y - 3}" r="3.5" fill="{colour}"/>')
        else:
            parts.append(
                f'<line x1="{x}" x2="{x + 12}" y1="{y - 3}" y2="{y - 3}" '
                f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="4 2"/>'
            )
        parts.append(
            f'<text x="{x + 16}" y="{y}" font-size="9" {_TEXT}>{escape(text)}</text>'
        )
        x += 26 + 5.4 * len(text)
    return "".join(parts)


def before_after_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    baseline: float | None,
    target: float | None,
    launched_at: datetime | None,
    width: int = 480,
    height: int = 170,
    label: str = "",
    unit: str = "",
    y_title: str = "",
    lo: float | None = None,
    hi: float | None = None,
    legend: bool = True,
    markers: Sequence[tuple[datetime, str, str]] = (),
) -> SafeString:
    """A line of measurements over dated x ticks, with the baseline, the target
    and the launch marked, a y-axis titled `y_title` (or `unit`) and a legend
    (`legend=False` where the page prints one beside a table of charts).
    Points before launch are grey, after launch in the accent colour. `lo`/`hi`
    fix the scale's ends (a score out of 7). `markers` are moments drawn as
    vertical lines with a tooltip: (when, label, kind), kind `deploy` or
    `rollback`; those outside the points' time span are left out."""
    if not points:
        return mark_safe("")
    left, right, top = 52, width - 10, 8
    legend_y = height - 4
    bottom = height - (34 if legend else 20)
    times = [p[0].timestamp() for p in points]
    values = [p[1] for p in points] + [v for v in (baseline, target) if v is not None]
    t0, t1 = min(times), max(times)
    if launched_at:
        t0, t1 = min(t0, launched_at.timestamp()), max(t1, launched_at.timestamp())
    v0, v1, ticks = y_range(values, lo=lo, hi=hi)
    plot = _Plot(left, right, top, bottom, v0, v1)
    y_of = plot.y

    def x_of(t: float) -> float:
        return round(left + _scale(t, t0, t1, right - left), 1)

    parts = _open((width, height), label, plot, ticks, title=y_title or unit)
    for t, text in _time_ticks(t0, t1):
        parts.append(_x_label(x_of(t), bottom + 12, text, width))
    keys = []
    for value, colour, name in (
        (baseline, BASELINE, "baseline"),
        (target, TARGET, "target"),
    ):
        if value is not None:
            y = y_of(value)
            parts.append(
                f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" stroke="{colour}" '
                f'stroke-width="1.2" stroke-dasharray="4 3">'
                f"<title>{name} {_fmt(value)}</title></line>"
            )
            keys.append(("dash", colour, name))
    launch = launched_at.timestamp() if launched_at else None
    if launch is not None:
        x = x_of(launch)
        parts.append(
            f'<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="{LAUNCH}" '
            f'stroke-width="1.2" stroke-dasharray="2 2"><title>launch</title></line>'
        )
    for when, text, kind in markers:
        if t0 <= when.timestamp() <= t1:
            x = x_of(when.timestamp())
            colour = MARKER_COLOURS.get(kind, LAUNCH)
            parts.append(
                f'<line class="chart-marker-{escape(kind)}" x1="{x}" x2="{x}" '
                f'y1="{top}" y2="{bottom}" stroke="{colour}" stroke-width="1.2">'
                f"<title>{when:%Y-%m-%d %H:%M} {escape(text)}</title></line>"
            )
    coords = [(x_of(t), y_of(v)) for t, (_, v) in zip(times, points, strict=True)]
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(
            f'<polyline fill="none" stroke="{AFTER}" stroke-opacity="0.6" '
            f'stroke-width="1.5" points="{path}"/>'
        )
    seen = set()
    for (x, y), (when, value) in zip(coords, points, strict=True):
        after = launch is not None and when.timestamp() >= launch
        seen.add(after)
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="3" fill="{AFTER if after else BEFORE}">'
            f"<title>{when:%Y-%m-%d}: {_fmt(value)}{escape(unit)}</title></circle>"
        )
    if launch is not None:
        dots = [("dot", BEFORE, "before launch"), ("dot", AFTER, "after launch")]
        keys[:0] = [
            key for key, after in zip(dots, (False, True), strict=True) if after in seen
        ]
        keys.append(("dash", LAUNCH, f"launch {launched_at:%-d %b %Y}"))
    else:
        keys.insert(0, ("dot", BEFORE, "not launched yet"))
    if legend:
        parts.append(_legend(keys, x=left, y=legend_y))
    parts.append("</svg>")
    # Safe: built from numbers and escaped text only.
    return mark_safe("".join(parts))


def _every(count: int, room: float, per_label: float) -> int:
    """Label every k-th category so the labels do not run into each other."""
    return max(1, math.ceil(count * per_label / max(room, 1)))


def _all_equal_note(categories: Sequence[str], total: float, label: str) -> SafeString:
    """Bars all of one height tell nothing a sentence does not: say it instead."""
    return mark_safe(
        f'<p class="small muted chart-note">{escape(label)}: {_fmt(total)} in each '
        f"of the {len(categories)} ({escape(categories[0])} to "
        f"{escape(categories[-1])}).</p>"
    )


def stacked_bar_chart(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    label: str,
    y_title: str = "",
    width: int = 560,
    height: int = 200,
) -> SafeString:
    """Vertical bars per category, stacked by series, on a y-axis with ticks,
    with a legend underneath. One series gives a plain bar chart. When every bar
    has the same height, a sentence says so instead."""
    if not categories:
        return mark_safe("")
    totals = [
        sum(values[i] for values in series.values()) for i in range(len(categories))
    ]
    if len(categories) > 1 and len(set(totals)) == 1:
        return _all_equal_note(categories, totals[0], label)
    legend_h = 18 if len(series) > 1 else 0
    left, right, top = 44, width - 6, 10
    bottom = height - 22 - legend_h
    _, peak, ticks = y_range([*totals, 0], lo=0)
    ticks = [t for t in ticks if t == int(t)]  # counts: whole ticks only
    plot = _Plot(left, right, top, bottom, 0, peak)
    slot = (right - left) / len(categories)
    bar_w = max(4.0, slot * 0.7)
    every = _every(len(categories), right - left, 52)
    parts = _open((width, height), label, plot, ticks, title=y_title)
    for i, category in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        y = bottom
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            if not value:
                continue
            h = value / peak * (bottom - top)
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
        if i % every == 0:
            parts.append(_x_label(x + bar_w / 2, bottom + 13, category, width))
    if legend_h:
        keys = [
            ("dot", PALETTE[s % len(PALETTE)], name) for s, name in enumerate(series)
        ]
        parts.append(_legend(keys, x=left, y=height - 3))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    label: str,
    unit: str = "",
    y_title: str = "",
    width: int = 560,
    height: int = 200,
    lo: float | None = None,
    hi: float | None = None,
) -> SafeString:
    """A line over labelled x positions (months: "Jul 2026"), gaps where None, on
    a y-axis titled `y_title` with ticks in `unit`; `lo`/`hi` fix the scale's
    ends (0 and 100 for percentages)."""
    known = [v for _, v in points if v is not None]
    if not known:
        return mark_safe("")
    left, right, top = 52, width - 16, 10
    bottom = height - 22
    v0, v1, ticks = y_range(known, lo=lo, hi=hi)
    plot = _Plot(left, right, top, bottom, v0, v1)
    step = (right - left) / max(len(points) - 1, 1)
    every = _every(len(points), right - left, 48)
    parts = _open((width, height), label, plot, ticks, unit=unit, title=y_title)
    segment: list[str] = []
    for i, (name, value) in enumerate(points):
        x = left + i * step if len(points) > 1 else (left + right) / 2
        if i % every == 0:
            parts.append(_x_label(x, bottom + 13, name, width))
        if value is None:
            if len(segment) > 1:
                parts.append(_polyline(segment))
            segment = []
            continue
        y = plot.y(value)
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
