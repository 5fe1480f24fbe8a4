"""Charts that do not mislead: labelled y-axes with units, dated ticks, an
honest y-range, the container's width, and no row of equal bars."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tracker.lib.charts import (
    before_after_chart,
    line_chart,
    month_label,
    stacked_bar_chart,
    y_range,
)

START = datetime(2025, 11, 15, tzinfo=UTC)


def _ticks(svg: str) -> list[str]:
    """The y-axis tick labels (right-aligned numbers)."""
    found = re.findall(r'text-anchor="end" font-size="9"[^>]*>([^<]+)</text>', svg)
    return [text for text in found if re.match(r"^-?[\d.,]+", text)]


def test_a_small_move_far_from_zero_is_not_drawn_as_a_crash():
    bottom, top, ticks = y_range([2.3, 2.2, 2.0])
    assert 0 < bottom < 2.0 and top > 2.3
    assert (top - bottom) >= 0.2 * 2.3  # the drop spans at most ~2/3 of the height
    assert ticks == [1.8, 2.0, 2.2, 2.4]


def test_data_near_zero_starts_at_zero_and_fixed_ends_are_kept():
    assert y_range([3, 5, 9])[0] == 0
    assert y_range([40, 90], lo=0, hi=100)[:2] == (0, 100)
    assert y_range([5, 5, 5], lo=0)[:2] == (0, 6) or y_range([5], lo=0)[0] == 0


def test_line_chart_has_a_titled_y_axis_with_its_unit_and_month_names():
    points = [(month_label(f"2025-{m:02d}"), v) for m, v in ((11, 2.3), (12, 2.0))]
    svg = line_chart(points, label="Rate", unit=" h", y_title="median (hours)")
    assert 'viewBox="0 0 560 200" width="100%"' in svg
    assert "median (hours)</text>" in svg and 'transform="rotate(-90' in svg
    assert _ticks(svg) == ["1.8 h", "2 h", "2.2 h", "2.4 h"]
    assert "Nov 2025" in svg and "Dec 2025" in svg and "25-12" not in svg
    assert "<polyline" in svg


def test_before_after_chart_has_axes_dates_legend_and_colours():
    points = [(START + timedelta(days=30 * i), 2.0 + i / 10) for i in range(4)]
    svg = before_after_chart(
        points,
        baseline=2.0,
        target=2.5,
        launched_at=START + timedelta(days=45),
        label="Rate",
        unit="%",
    )
    assert 'width="100%"' in svg
    assert re.search(r">(Dec 2025|Jan 2026|Feb 2026)</text>", svg)
    assert ">%</text>" in svg  # the y-axis title: the metric's unit
    for key in ("before launch", "after launch", "baseline", "target", "launch 30 Dec"):
        assert key in svg, key
    # colours as attributes, so a PDF without the site's CSS draws them
    assert 'stroke="#2b8a3e"' in svg and 'fill="#3b5bdb"' in svg
    assert 'class="chart-line"' not in svg


def test_equal_bars_are_said_not_drawn():
    note = stacked_bar_chart(
        ["Proposed", "Pilot", "Retired"], {"n": [1, 1, 1]}, label="Products by stage"
    )
    assert "<rect" not in note
    assert "Products by stage: 1 in each of the 3 (Proposed to Retired)." in note
    bars = stacked_bar_chart(["a", "b"], {"n": [1, 3]}, label="x", y_title="products")
    assert bars.count("<rect") == 2 and "products</text>" in bars


@pytest.mark.django_db
def test_ml_test_score_history_has_axes_dates_and_its_scale(alice_client, product):
    from tracker.readiness.models import MLTestScoreSnapshot

    for i, score in enumerate((0.5, 1.5, 2)):
        MLTestScoreSnapshot.objects.create(
            product=product,
            recorded_at=START + timedelta(days=40 * i),
            data=score,
            model=score,
            infra=score,
            monitoring=score,
            score=score,
        )
    page = alice_client.get(reverse("readiness:detail", args=[product.slug]))
    html = page.content.decode()
    assert "ML Test Score (0–7)</text>" in html
    chart = html[html.index('aria-label="ML Test Score over time"') :]
    assert _ticks(chart)[:8] == [str(n) for n in range(8)]  # the whole 0–7 scale
    assert re.search(r">(Dec 2025|Jan 2026|Feb 2026)</text>", chart)
