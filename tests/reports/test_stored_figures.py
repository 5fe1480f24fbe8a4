"""Stored figures (tracker/reports/stored.py, tracker/insights/stored.py): the
insights and the portfolio's period figures are computed once, kept, read back
as they were computed, and computed again by a task when a page finds them
old; readers who may read different products never share them; rows nobody
reads are purged."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.insights.test_insights import history  # noqa: F401 (a fixture)
from tests.postmortems.conftest import resolved_incident
from tests.postmortems.test_learning import open_incident
from tracker.accounts.models import CIPrincipal
from tracker.accounts.services import token_create
from tracker.insights.selectors import Filters
from tracker.insights.stored import INSIGHTS, insights_for
from tracker.lib.periods import period_get
from tracker.reports import stored
from tracker.reports.models import StoredFigures
from tracker.reports.selectors.overview import PORTFOLIO
from tracker.reports.standings import standings_refresh_all

pytestmark = pytest.mark.django_db


PARAMS = {
    "insights": {"period": "12m", "team": "", "product": ""},
    "portfolio": {"period": "12m", "team": "", "stage": "", "risk_tier": ""},
}


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _reading(queries, *texts: str) -> int:
    """How many of the statements have all of `texts` in their SQL."""
    return sum(
        all(text in q["sql"] for text in texts) for q in queries.captured_queries
    )


@pytest.mark.parametrize("kind", [INSIGHTS, PORTFOLIO])
def test_what_is_read_back_is_what_was_computed(history, alice, kind):  # noqa: F811
    standings_refresh_all()
    computed = kind.compute(alice, PARAMS[kind.name])
    assert kind.decode(kind.encode(computed)) == (
        replace(computed, filters=None) if kind is INSIGHTS else computed
    )
    # Not trivially: the figures count the history's incidents.
    if kind is INSIGHTS:
        assert computed.recurrence.total == 2 and computed.by_severity[0].median_ttr
    else:
        assert computed.incidents.recurrences == 1
        assert any(computed.incidents.ttr_by_month.values())
        [team] = computed.teams
        [value] = computed.values
        assert computed.totals["products"] == 1 and computed.totals["as_of"]
        assert team[0] == value[0] and computed.attention  # the team's name


def test_a_page_reads_what_it_kept_and_a_task_computes_it_again(
    history,  # noqa: F811
    alice,
    alice_client,
    product,
    django_capture_on_commit_callbacks,
    time_machine,
):
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = _api(alice).get("/api/v1/insights/").json()
    assert first["recurrence"]["total"] == 2
    [row] = StoredFigures.objects.all()
    assert row.report == "insights"
    open_incident(product, fingerprint="drift-1", severity="sev2")

    # Within five minutes: the kept figures, said to be as of their time, and
    # no aggregate over the incidents.
    time_machine.shift(timedelta(minutes=4))
    with CaptureQueriesContext(connection) as queries:
        again = _api(alice).get("/api/v1/insights/").json()
    assert again["recurrence"]["total"] == 2
    assert again["as_of"] == first["as_of"]
    assert _reading(queries, '"incidents_incident"') == 0
    page = alice_client.get("/insights/").content.decode()
    assert "Figures as of" in page

    # Older: still the kept figures for this request, and the task (run at
    # once here) computes them again for the next.
    time_machine.shift(timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        stale = _api(alice).get("/api/v1/insights/").json()
    assert stale["recurrence"]["total"] == 2
    assert len(queued) == 1
    fresh = _api(alice).get("/api/v1/insights/").json()
    assert fresh["recurrence"]["total"] == 3
    assert fresh["as_of"] > first["as_of"]
    assert StoredFigures.objects.count() == 1


def test_readers_who_may_read_other_products_do_not_share_figures(
    history,  # noqa: F811
    alice,
    carol,
    team,
    django_capture_on_commit_callbacks,
):
    team.visibility = "private"
    team.save()
    with django_capture_on_commit_callbacks(execute=True):
        member = _api(alice).get("/api/v1/insights/").json()
        outsider = _api(carol).get("/api/v1/insights/").json()
    assert member["recurrence"]["total"] == 2
    assert outsider["recurrence"]["total"] == 0
    assert StoredFigures.objects.count() == 2
    # Read back, each keeps to their own.
    assert _api(carol).get("/api/v1/insights/").json()["recurrence"]["total"] == 0
    # Once the team is open again carol may read its products: other figures.
    team.visibility = "organisation"
    team.save()
    assert _api(carol).get("/api/v1/insights/").json()["recurrence"]["total"] == 2


def test_the_portfolio_keeps_its_period_figures_per_filters(
    product,
    alice,
    alice_client,
    bob,
    django_capture_on_commit_callbacks,
):
    resolved_incident(product, bob, severity="sev1")
    with django_capture_on_commit_callbacks(execute=True):
        whole = _api(alice).get("/api/v1/reports/portfolio/").json()
        risk = _api(alice).get("/api/v1/reports/portfolio/?team=risk").json()
        alice_client.get("/reports/portfolio/?stage=production")
    assert StoredFigures.objects.filter(report="portfolio").count() == 3
    assert whole["period_as_of"] and risk["period_as_of"]
    assert whole["totals"]["postmortem_completion"]["sev12_incidents"] == 1
    resolved_incident(product, bob, severity="sev1")
    with CaptureQueriesContext(connection) as queries:
        kept = _api(alice).get("/api/v1/reports/portfolio/").json()
    assert kept["totals"]["postmortem_completion"]["sev12_incidents"] == 1
    assert kept["period_as_of"] == whole["period_as_of"]
    # The table's products are computed now; the period's totals are not.
    assert _reading(queries, 'AS "month"', 'AS "recurrences"') == 0
    html = alice_client.get("/reports/portfolio/").content.decode()
    assert "recurrences and action items closed on time as of" in html


def test_a_reader_gone_has_nothing_computed(alice, product):
    alice.is_active = False
    alice.save()
    assert stored.refresh("insights", PARAMS["insights"], alice.pk) is False
    assert not StoredFigures.objects.exists()


def test_figures_nobody_asked_for_in_a_day_are_purged(alice, product):
    now = timezone.now()
    for hours in (1, 25):
        StoredFigures.objects.create(
            report="insights",
            key=f"k{hours}",
            figures={},
            computed_at=now - timedelta(hours=hours),
        )
    assert stored.purge(now) == 1
    assert list(StoredFigures.objects.values_list("key", flat=True)) == ["k1"]


def test_a_ci_token_gets_figures_computed_for_it(product, alice):
    token, _ = token_create(user=alice, name="ci", product=product)
    insights = insights_for(
        user=CIPrincipal(token), filters=Filters(period=period_get("12m"))
    )
    assert insights.as_of is not None
    assert not StoredFigures.objects.exists()


def test_a_page_of_teams_converts_only_its_own():
    """The stored per-team lists are converted a row at a time as they are
    read: a page of 20 team summaries converts those 20, however many teams
    there are."""
    from django.core.paginator import Paginator

    from tracker.reports.selectors.overview import Converted

    seen = []
    rows = Converted(list(range(45)), lambda n: seen.append(n) or n * 2)
    assert len(rows) == 45 and seen == []
    assert list(Paginator(rows, 20).get_page(3).object_list) == [80, 82, 84, 86, 88]
    assert seen == [40, 41, 42, 43, 44]
    assert rows[0] == 0 and seen[-1] == 0


def test_the_portfolio_read_back_from_the_database_is_the_one_computed(
    history,  # noqa: F811
    alice,
    django_capture_on_commit_callbacks,
):
    """The summaries read from the stored row (PostgreSQL keeps a JSON object's
    keys in an order of its own) are those computed in the request, stages,
    KPI statuses and progress bands in their own order."""
    from tracker.products.models import Stage
    from tracker.reports.selectors.overview import portfolio_overview
    from tracker.reports.selectors.summary import PROGRESS_FIELDS

    standings_refresh_all()
    period = period_get(None)

    def overview():
        return portfolio_overview(
            filters={}, period=period, user=alice, attention_shown=20
        )

    with django_capture_on_commit_callbacks(execute=True):
        computed = overview()
    assert StoredFigures.objects.filter(report="portfolio").count() == 1
    with CaptureQueriesContext(connection) as queries:
        read = overview()
    assert _reading(queries, '"incidents_incident"') == 0  # read, not computed
    assert list(read.stages) == list(Stage.values) == list(computed.stages)
    assert list(read.statuses) == ["on_track", "at_risk", "off_track", "no_data"]
    assert list(read.progress) == list(PROGRESS_FIELDS.values())
    assert (read.stages, read.statuses, read.progress) == (
        computed.stages,
        computed.statuses,
        computed.progress,
    )
    assert list(read.teams) == list(computed.teams)
    assert list(read.value_by_team()) == list(computed.value_by_team())
    assert (read.product_count, read.as_of) == (computed.product_count, computed.as_of)
    [team] = read.teams
    assert team.products == 1 and list(team.by_stage) == [
        stage for stage in Stage.values if stage in team.by_stage
    ]
    # A team's row is kept as a JSON text: read back, a string per team, not
    # lists and dicts for the collector to track; a page decodes its own.
    kept = StoredFigures.objects.get(report="portfolio").figures
    assert all(isinstance(row, str) for row in kept["teams"] + kept["values"])
