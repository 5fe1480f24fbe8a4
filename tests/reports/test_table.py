"""The portfolio report's products table, written in Python (tracker/reports/table.py):
the same cells the template wrote, and every text escaped."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from tests.factories import (
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SLACheckFactory,
    SLAFactory,
    TeamFactory,
    staff_reader,
)
from tests.readiness.test_readiness import ci_report
from tracker.lib.periods import period_get
from tracker.reports import table
from tracker.reports.selectors.overview import portfolio_overview
from tracker.reports.selectors.portfolio import portfolio_report
from tracker.reports.standings import standings_refresh_all

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
HOSTILE = "<b>&\"'"
ESCAPED = "&lt;b&gt;&amp;&quot;&#x27;"


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)


def _measured(product):
    """A launched product with a KPI, an SLA, an incident and a CI status."""
    product.stage, product.launched_at = "production", NOW - timedelta(days=60)
    product.save()
    metric = MetricFactory(
        product=product,
        name="Losses",
        direction="lower",
        baseline=400,
        target=300,
        baseline_at=date(2026, 1, 1),
        target_date=date(2026, 12, 31),
    )
    MeasurementFactory(metric=metric, value=340, measured_at=NOW - timedelta(days=1))
    sla = SLAFactory(product=product, name="Latency", threshold=100, objective=50)
    for value in (10, 20, 30, 200):
        SLACheckFactory(sla=sla, value=value, checked_at=NOW - timedelta(days=1))
    started = NOW - timedelta(days=3)
    IncidentFactory(
        product=product,
        severity="sev2",
        started_at=started,
        detected_at=started + timedelta(minutes=15),
    )
    ci_report(product, "train", "failure", sha="abcdef1234" + "0" * 30)
    return portfolio_report(
        filters={}, period=period_get(None), user=staff_reader(), now=NOW
    )


@time_machine.travel(NOW, tick=False)
def test_a_row_shows_every_figure(product):
    cells = _cells(table.product_rows(_measured(product).rows))
    assert cells == [
        '<a class="strong" href="/products/fraud-score/">Fraud score</a>'
        '<div class="muted small">Risk · Medium risk</div>',
        '<span class="badge stage-production">Production</span>',
        '<span class="badge bad">incomplete</span>',
        '4/8<div class="muted small">ML Test 0</div>',  # KPI, SLA, monitoring, CI
        '<div class="kpi"><span>Losses</span> <span class="nowrap">400 → 340 / 300'
        '</span> <span class="badge status-on_track">60% · on track</span> '
        '<span class="small muted">after launch -15.0%</span></div>',
        '<div class="small">Latency: <span class="good-text">75.0%</span> · '
        "budget 50%</div>",
        '<span class="badge sev-sev2">SEV2 1</span> '
        '<div class="small muted">detect 15m · resolve —</div>',
        "postmortems 0/1<div>actions 0 open</div>",
        '<span class="badge bad">failure</span><div class="small muted">abcdef1</div>',
        "0",
    ]


@time_machine.travel(NOW, tick=False)
def test_a_pdf_row_shows_the_same_figures_as_lines(product):
    cells = _cells(table.pdf_rows(_measured(product).rows))
    assert cells == [
        "<strong>Fraud score</strong>\nRisk · Production · Medium risk",
        "4/8, ML Test 0\nowners incomplete",
        "Losses 400 → 340 / 300: 60%, on track (after launch -15.0%)",
        "Latency 75.0%, budget 50%",
        "SEV2 1\ndetect 15m, resolve —",
        "postmortems 0/1\nactions 0 open, 0 overdue",
        "failure\nabcdef1",
        "0",
    ]


def test_every_text_is_escaped(team):
    hostile_team = TeamFactory(name=HOSTILE, slug="hostile")
    product = ProductFactory(name=HOSTILE, team=hostile_team)
    MetricFactory(product=product, name=HOSTILE)
    SLAFactory(product=product, name=HOSTILE)
    portfolio = portfolio_report(
        filters={}, period=period_get(None), user=staff_reader()
    )
    for html in (
        table.product_rows(portfolio.rows),
        table.attention_items(portfolio.attention),
        table.pdf_rows(portfolio.rows),
        table.attention_items(portfolio.attention, pdf=True),
        table.attention_items(_standings_attention()),
    ):
        assert "<b>" not in html
        assert ESCAPED in html


def test_the_page_includes_the_rows_and_the_attention_list(alice_client, product):
    standings_refresh_all()
    page = alice_client.get("/reports/portfolio/").content.decode()
    assert '<a class="strong" href="/products/fraud-score/">Fraud score</a>' in page
    assert (
        '<div class="reasons">no business KPI with baseline and target; '
        "owners missing: ML, Engineering</div></li>" in page
    )


def _standings_attention() -> list:
    """The page's attention entries, read from the stored standings."""
    standings_refresh_all()
    return portfolio_overview(
        filters={}, period=period_get(None), user=staff_reader(), attention_shown=20
    ).attention
