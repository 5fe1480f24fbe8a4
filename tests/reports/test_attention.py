"""The portfolio's "what needs attention" list: rules by stage and risk tier,
ranked most urgent first, the same in the page, the API, the CSV and the PDF,
and honest about the products the reader cannot see."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.factories import (
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLACheckFactory,
    SLAFactory,
    staff_reader,
)
from tests.reports.test_portfolio import _incident
from tracker.accounts.models import Visibility
from tracker.lib.periods import period_get
from tracker.postmortems.models import ActionItem
from tracker.reports.selectors.portfolio import portfolio_report
from tracker.reports.standings import standings_refresh_all

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def report(user=None, **filters):
    return portfolio_report(
        filters=filters, period=period_get(None), user=user or staff_reader(), now=NOW
    )


def overdue_action_item(product) -> None:
    ActionItem.objects.create(
        session=SessionFactory(product=product),
        description="Add a drift alert",
        kind="prevent",
        due_date=date(2026, 6, 1),
    )


def live(team, name, *, tier="medium", stage="production", **extra):
    """A launched product with a KPI on track and a healthy SLA: nothing to say."""
    product = ProductFactory(
        team=team,
        name=name,
        slug=name.lower().replace(" ", "-"),
        stage=stage,
        risk_tier=tier,
        launched_at=NOW - timedelta(days=90),
        **extra,
    )
    metric = MetricFactory(
        product=product, baseline=100, target=150, target_date=date(2026, 12, 31)
    )
    MeasurementFactory(metric=metric, value=150, measured_at=NOW - timedelta(days=1))
    sla = SLAFactory(product=product, name="Latency", threshold=100, objective=90)
    SLACheckFactory(sla=sla, value=10, checked_at=NOW - timedelta(days=1))
    return product


@time_machine.travel(NOW, tick=False)
def test_a_retired_product_owes_only_its_unfinished_follow_ups(team):
    retired = ProductFactory(team=team, name="Old", stage="retired")
    [row] = report().rows
    assert row.attention == []  # no KPI, no SLA, no owners: none of it matters now
    overdue_action_item(retired)
    assert report().rows[0].attention == ["1 overdue action item"]


@time_machine.travel(NOW, tick=False)
def test_a_proposal_is_asked_for_its_plan_not_an_sla(team, alice, bob, carol):
    ProductFactory(team=team, name="Idea", stage="proposed")
    [row] = report().rows
    assert (
        "no SLA" not in row.attention and "data survey incomplete" not in row.attention
    )
    assert row.attention == [
        "no business KPI with baseline and target",
        "owners missing: PM / business, ML, Engineering",
    ]
    planned = ProductFactory(
        team=team, name="Planned", pm_owner=alice, ml_owner=bob, eng_owner=carol
    )
    MetricFactory(product=planned)
    assert [r.attention for r in report().rows if r.product.name == "Planned"] == [[]]


@time_machine.travel(NOW, tick=False)
def test_production_reasons_and_the_critical_sev1_first(team, other_team):
    live(team, "Healthy")
    calm = live(team, "Calm", tier="low")
    overdue_action_item(calm)
    burning = live(other_team, "Burning", tier="critical")
    _incident(burning, started=NOW - timedelta(days=200), detect_min=5, severity="sev1")
    _incident(burning, started=NOW - timedelta(hours=3), detect_min=5, severity="sev2")
    _incident(burning, started=NOW - timedelta(hours=3), detect_min=5, severity="sev3")
    budget = live(team, "Budget", tier="high")
    failing = SLAFactory(product=budget, name="Uptime", threshold=100, objective=99)
    SLACheckFactory(sla=failing, value=500, checked_at=NOW - timedelta(days=1))
    off = MetricFactory(
        product=budget,
        name="Approvals",
        baseline=100,
        baseline_at=date(2026, 1, 1),
        target=200,
        target_date=date(2026, 7, 1),
    )
    MeasurementFactory(metric=off, value=90, measured_at=NOW - timedelta(days=1))

    portfolio = report()
    ranked = [(e.rank, e.product.name, e.reasons) for e in portfolio.attention]
    assert ranked == [
        # an open SEV1 that started before the period still counts
        (1, "Burning", ["1 open SEV1 incident", "1 open SEV2 incident"]),
        (2, "Budget", ["error budget exhausted: Uptime", "1 KPI off track"]),
        (3, "Calm", ["1 overdue action item"]),
    ]
    assert portfolio.attention[0].url == "/products/burning/"


@time_machine.travel(NOW, tick=False)
def test_page_ranks_links_and_says_when_nothing_needs_attention(alice_client, team):
    live(team, "Healthy")
    standings_refresh_all()  # the page's list is the standings' (beat's)
    page = alice_client.get(reverse("reports:portfolio")).content.decode()
    assert "Nothing needs attention" in page
    burning = live(team, "Burning", tier="critical")
    _incident(burning, started=NOW - timedelta(hours=1), detect_min=5, severity="sev1")
    standings_refresh_all()
    page = alice_client.get(reverse("reports:portfolio")).content.decode()
    assert "Nothing needs attention" not in page
    assert (
        '<li><span class="rank">1</span> '
        '<a class="strong" href="/products/burning/">Burning</a>'
    ) in page
    assert '<div class="reasons">1 open SEV1 incident</div>' in page


@time_machine.travel(NOW, tick=False)
def test_products_of_private_teams_are_counted_never_shown(
    carol_client, team, other_team
):
    live(other_team, "Visible")
    secret = live(team, "Hushed radar", tier="critical")
    _incident(secret, started=NOW - timedelta(hours=1), detect_min=5, severity="sev1")
    team.visibility = Visibility.PRIVATE
    team.save()
    standings_refresh_all()
    page = carol_client.get(reverse("reports:portfolio")).content.decode()
    assert "Hushed radar" not in page and "SEV1 incident" not in page
    assert "1 product in private teams you cannot see is not in this report" in page
    body = carol_client.get("/api/v1/reports/portfolio/").json()
    assert (body["attention"], body["hidden_products"]) == ([], 1)
    body = carol_client.get("/api/v1/reports/portfolio/?risk_tier=low").json()
    assert body["hidden_products"] == 0  # the filters apply to the count too


@time_machine.travel(NOW, tick=False)
def test_api_csv_and_pdf_carry_the_same_ranked_list(alice_client, team):
    from tests.reports.test_portfolio import _pdf_text

    calm = live(team, "Calm", tier="low")
    overdue_action_item(calm)
    burning = live(team, "Burning", tier="critical")
    _incident(burning, started=NOW - timedelta(hours=1), detect_min=5, severity="sev1")
    standings_refresh_all()
    body = alice_client.get("/api/v1/reports/portfolio/").json()
    assert body["attention"] == [
        {"rank": 1, "product": "burning", "reasons": ["1 open SEV1 incident"]},
        {"rank": 2, "product": "calm", "reasons": ["1 overdue action item"]},
    ]
    text = alice_client.get(reverse("reports:portfolio_csv")).content.decode()
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(text))}
    assert (rows["burning"]["attention_rank"], rows["calm"]["attention_rank"]) == (
        "1",
        "2",
    )
    assert rows["burning"]["attention"] == "1 open SEV1 incident"
    pdf = _pdf_text(alice_client.get(reverse("reports:portfolio_pdf")).content)
    assert pdf.index("1. Burning") < pdf.index("2. Calm")
