"""The products' stored standings behind the portfolio page and API: the
refresh (task and beat), the page's figures equal to the full report's, the
table's order and pages in SQL, "not yet computed", and statements that do
not grow with the portfolio."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from tests.factories import (
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    TeamFactory,
    staff_reader,
)
from tests.reports.test_api import _populate, dataset  # noqa: F401
from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.celery import app
from tracker.demo.scale import pages
from tracker.demo.scale.portfolio import seed_scale
from tracker.demo.seed import seed_demo
from tracker.lib.periods import period_choices, period_get
from tracker.products.models import Product, Stage
from tracker.reports import tasks
from tracker.reports.models import ProductStanding
from tracker.reports.selectors.attention import TIER_FACTOR
from tracker.reports.selectors.overview import (
    page_rows,
    portfolio_overview,
    table_order,
)
from tracker.reports.selectors.portfolio import one_snapshot, portfolio_report
from tracker.reports.selectors.products import portfolio_products
from tracker.reports.selectors.rows import ROW_VERSION
from tracker.reports.selectors.summary import SORT_CHOICES
from tracker.reports.standings import standings_refresh, standings_refresh_all

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
URL = "/reports/portfolio/"
API = "/api/v1/reports/portfolio/"


def _names(html: str) -> list[str]:
    table = html[html.index('id="products-h"') :]
    return re.findall(r'<tr><td><a class="strong" href="[^"]+">([^<]+)</a>', table)


@time_machine.travel(NOW, tick=False)
def test_the_refresh_stores_each_products_standing(dataset):  # noqa: F811
    assert standings_refresh_all() == 2
    fraud = ProductStanding.objects.get(product=dataset)
    assert fraud.computed_at == NOW
    assert fraud.reasons == ["1 overdue action item", "1 overdue KPI follow-up"]
    assert fraud.urgency == (15 + 10) * 2  # medium risk tier
    assert (fraud.kpis_on_track, fraud.kpis_no_data) == (1, 1)
    assert (fraud.overdue_followups, fraud.overdue_action_items) == (1, 1)
    assert (fraud.sla_min_compliance, fraud.kpi_min_progress) == (0.75, 0.6)
    assert fraud.progress_50_75 == 1
    churn = ProductStanding.objects.get(product__slug="churn")
    assert churn.reasons[0] == "no business KPI with baseline and target"
    # A second refresh updates the rows in place.
    dataset.stage = "retired"
    dataset.save()
    later = NOW + timedelta(minutes=5)
    assert standings_refresh([dataset.pk], now=later) == 1
    fraud.refresh_from_db()
    assert fraud.computed_at == later and fraud.reasons == ["1 overdue action item"]
    assert ProductStanding.objects.count() == 2


def test_beat_refreshes_every_product_a_batch_at_a_time(team, monkeypatch):
    for _ in range(5):
        ProductFactory(team=team)
    monkeypatch.setattr("tracker.reports.standings.BATCH", 2)
    assert tasks.standings_refresh.delay().get() == 3  # batches, run eagerly
    assert ProductStanding.objects.count() == 5
    beat = app.conf.beat_schedule["reports-standings-refresh"]
    assert beat["task"] == "tracker.reports.tasks.standings_refresh"
    assert beat["schedule"] == tasks.STANDINGS_EVERY


def test_an_infinite_figure_is_kept_as_none(team):
    """A KPI's progress from extreme values is infinite: its row keeps None
    (the page shows "—"), rather than PostgreSQL's JSON refusing the whole
    batch of standings."""
    product = ProductFactory(team=team, name="Edge", slug="edge")
    metric = MetricFactory(product=product, baseline=-1e308, target=0)
    MeasurementFactory(metric=metric, value=1e308)
    assert standings_refresh_all() == 1
    [row] = page_rows([product.pk], period=period_get(None))
    [kpi] = row.kpis
    assert row.computed and kpi.progress is None
    assert row.figures["kpi_min_progress"] is None


def test_a_row_of_another_shape_is_read_as_not_computed(team):
    ProductFactory(team=team, name="Old", slug="old")
    standings_refresh_all()
    standing = ProductStanding.objects.get()
    standing.row = {**standing.row, "version": ROW_VERSION + 1}
    standing.save()
    [row] = page_rows([standing.product_id], period=period_get(None))
    assert not row.computed and row.figures["readiness_passed"] is None
    assert row.attention == standing.reasons


def test_refresh_standings_computes_them_by_hand(team):
    ProductFactory(team=team, name="Fresh", slug="fresh")
    out = io.StringIO()
    call_command("refresh_standings", stdout=out)
    assert out.getvalue().strip() == "1 standing(s) computed."
    (standing,) = ProductStanding.objects.all()
    assert standing.product.slug == "fresh" and standing.row["figures"]


@time_machine.travel(NOW, tick=False)
def test_the_pages_figures_equal_the_full_report(alice, alice_api, dataset):  # noqa: F811
    standings_refresh_all()
    period = period_get(None)
    full = portfolio_report(filters={}, period=period, user=alice, now=NOW)
    shown = portfolio_overview(
        filters={}, period=period, user=alice, attention_shown=20, now=NOW
    )
    assert shown.product_count == full.product_count
    assert shown.stage_counts() == full.stage_counts()
    assert shown.kpi_statuses() == full.kpi_statuses()
    assert shown.kpi_progress_distribution() == full.kpi_progress_distribution()
    assert shown.postmortem_completion == full.postmortem_completion
    assert shown.recurrences == full.recurrences
    assert shown.months() == full.months()
    assert list(shown.value_by_team()) == full.value_by_team()
    assert _ranked(shown.attention) == _ranked(full.attention)
    assert shown.attention_count == len(full.attention)
    assert shown.as_of == NOW and shown.not_computed == 0
    body = alice_api.get(API).json()
    assert body["attention_count"] == 2 and body["as_of"].startswith("2026-07-01T12")
    risk = body["teams"][0]
    assert risk["team"] == "risk"
    assert (risk["kpis_on_track"], risk["overdue_kpi_followups"]) == (1, 1)
    assert (risk["overdue_action_items"], risk["needing_attention"]) == (1, 1)


def _ranked(entries) -> list[tuple]:
    return [(e.rank, e.product.slug, e.reasons, e.urgency) for e in entries]


def test_without_standings_the_page_says_not_yet_computed(
    alice_client, alice_api, team
):
    ProductFactory(team=team, name="Fresh", slug="fresh")
    IncidentFactory(product=Product.objects.get(slug="fresh"), severity="sev2")
    html = alice_client.get(URL).content.decode()
    assert "the team summaries appear within 5 minutes" in html
    assert "Not yet computed: the list appears" in html
    assert "Nothing needs attention" not in html
    assert _names(html) == ["Fresh"]  # in the table, without its figures yet
    assert html.count("Not computed yet: its figures come with the next") == 1
    (fresh,) = alice_api.get(API).json()["products"]
    assert fresh["as_of"] is None and fresh["kpis"] == []
    assert fresh["readiness_passed"] is None and fresh["latest_ci_state"] is None
    assert fresh["incidents_sev2"] == 1  # the period's figures are counted now
    standings_refresh_all()
    ProductFactory(team=team, name="Newer", slug="newer")
    html = alice_client.get(URL).content.decode()
    assert "Team summaries, attention, totals and the products table's" in html
    assert "1 product not yet computed is not in them" in html
    assert _names(html) == ["Fresh", "Newer"]
    assert html.count("Not computed yet: its figures come with the next") == 1
    fresh, newer = alice_api.get(API).json()["products"]
    assert fresh["readiness_passed"] is not None and fresh["as_of"] is not None
    assert newer["as_of"] is None


def _typed(figures: dict) -> dict:
    """The figures with their types (12 equals Decimal("12.00")); a text is a
    text, a CI state's enum or not."""
    return {
        name: (str if isinstance(value, str) else type(value), value)
        for name, value in figures.items()
    }


@pytest.mark.parametrize("choice", [0, 2], ids=["rolling-year", "previous-quarter"])
def test_the_tables_rows_are_the_full_reports_rows(choice):
    """Each row of the table as its product's standing keeps it: the figures,
    KPIs, SLAs and reasons that the full report computes, for any period."""
    with time_machine.travel(NOW, tick=False):
        seed_demo()
        chosen = period_choices()[choice]
        reader = staff_reader()
        full = portfolio_report(filters={}, period=chosen, user=reader, now=NOW)
        ids = [row.product.pk for row in full.rows]
        with one_snapshot():
            kept = page_rows(ids, period=chosen)
    assert [row.product.pk for row in kept] == ids
    for row, shown in zip(full.rows, kept, strict=True):
        assert _typed(shown.figures) == _typed(row.figures), row.product.slug
        assert (shown.kpis, shown.slas) == (row.kpis, row.slas)
        assert (shown.attention, shown.as_of) == (row.attention, NOW)
    # The demo has a figure of every kind, so each was read back.
    for name in (
        "production_shipped_at",
        "cost_to_date",
        "worst_segment_value",
        "latest_ci_sha",
        "kpi_after_launch_change",
        "sla_min_error_budget",
    ):
        assert any(row.figures[name] is not None for row in kept), name


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("kpis", ["B", "C", "A"]),
        ("-kpis", ["A", "C", "B"]),
        ("readiness", ["A", "B", "C"]),
        ("followups", ["C", "A", "B"]),
        ("-followups", ["A", "B", "C"]),
        ("risk", ["C", "B", "A"]),
        ("-risk", ["A", "B", "C"]),
        ("-attention", ["A", "B", "C"]),
    ],
)
def test_the_table_sorts_by_the_standings_in_sql(
    alice_client, alice_api, team, sort, expected
):
    for name, tier in (("A", "low"), ("B", "medium"), ("C", "high")):
        ProductFactory(team=team, name=name, slug=name.lower(), risk_tier=tier)
    standings_refresh_all()
    ProductStanding.objects.filter(product__slug="a").update(
        kpi_order=4, overdue_followups=0, readiness_share=0.1, urgency=0
    )
    ProductStanding.objects.filter(product__slug="b").update(
        kpi_order=0, kpi_min_progress=0.5, readiness_share=0.5
    )
    ProductStanding.objects.filter(product__slug="c").update(
        kpi_order=0, kpi_min_progress=0.9, overdue_followups=3, readiness_share=0.9
    )
    html = alice_client.get(URL, {"sort": sort}).content.decode()
    assert _names(html) == expected
    products = alice_api.get(API, {"sort": sort}).json()["products"]
    assert [p["name"] for p in products] == expected


def test_the_attention_list_and_its_pages_in_the_api(alice_api, team):
    for i in range(23):
        ProductFactory(team=team, name=f"P{i:02}", slug=f"p{i:02}")
    standings_refresh_all()
    body = alice_api.get(API, {"page_size": 10, "sort": "attention"}).json()
    assert body["attention_count"] == 23 and len(body["attention"]) == 20
    assert [e["rank"] for e in body["attention"]] == list(range(1, 21))
    assert body["count"] == 23 and len(body["products"]) == 10
    last = alice_api.get(API, {"page_size": 10, "page": 3, "sort": "attention"})
    assert [p["slug"] for p in last.json()["products"]] == ["p20", "p21", "p22"]


def _grow(teams, n: int) -> None:
    for i in range(n):
        ProductFactory(team=teams[i % len(teams)], stage="pilot")


@time_machine.travel(NOW, tick=False)
def test_statements_do_not_grow_with_the_portfolio(alice, alice_client, team):
    teams = [team, TeamFactory(members=[alice])]
    _populate(team, 2)
    standings_refresh_all()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counted() -> int:
        alice_client.get(URL)
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(URL).status_code == 200
        return len(queries)

    small = counted()
    _grow(teams, 30)
    _populate(team, 3)
    standings_refresh_all()
    assert Product.objects.count() == 35
    assert counted() == small


# The table's orders as the report computed them in Python over every row
# before the standings: the SQL orders must give the same sequence.
_STAGES = {stage: i for i, stage in enumerate(Stage.values)}
_STATUSES = {"off_track": 0, "at_risk": 1, "on_track": 2}
_INF = float("inf")


def _reference_keys(ranks: dict[int, int]) -> dict:
    def kpis(row):
        worst = min((_STATUSES.get(k.status, 3) for k in row.kpis), default=4)
        progress = row.figures["kpi_min_progress"]
        return (worst, _INF if progress is None else progress)

    def readiness(row):
        done, of = row.readiness.passed_count, row.readiness.applicable_count
        return done / of if of else 1.0

    def sla(row):
        value = row.figures["sla_min_compliance"]
        return _INF if value is None else value

    return {
        "team": lambda row: row.product.team.name.lower(),
        "name": lambda row: (row.product.name.lower(), row.product.slug),
        "attention": lambda row: ranks.get(row.product.pk, _INF),
        "stage": lambda row: _STAGES[row.product.stage],
        "risk": lambda row: -TIER_FACTOR[row.product.risk_tier],
        "kpis": kpis,
        "slas": sla,
        "readiness": readiness,
        "incidents": lambda row: -row.incident_count,
        "followups": lambda row: -row.overdue_followups,
    }


def test_every_order_of_the_table_is_the_full_reports(client):
    with acting(via=Via.COMMAND, label="test"):
        seed_scale(40)  # refreshes the standings, as seed_demo does
    reader = pages.reader()
    period = period_get(None)
    full = portfolio_report(filters={}, period=period, user=reader)
    keys = _reference_keys({e.product.pk: e.rank for e in full.attention})
    products = portfolio_products(filters={}, user=reader)
    for sort, _ in SORT_CHOICES:
        by = keys[sort.removeprefix("-")]
        expected = [r.product.slug for r in full.rows]  # team, then name
        if sort != "team":
            ordered = sorted(full.rows, key=by, reverse=sort.startswith("-"))
            expected = [r.product.slug for r in ordered]
        shown = table_order(products, sort, period).values_list("slug", flat=True)
        assert list(shown) == expected, sort
