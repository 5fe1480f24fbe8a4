"""Insights across failures: the API and the page (figures linking to the
incidents and postmortems behind them, filters, PDF), who sees what, the
numbers against direct SQL counts on the scale dataset, and a query count that
does not grow with the data."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import staff_reader
from tests.postmortems.conftest import resolved_incident
from tests.postmortems.test_learning import open_incident, publish
from tracker.demo.scale.portfolio import seed_scale
from tracker.insights.selectors import Filters, insights_report
from tracker.lib.periods import period_get

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def history(product, alice, bob):
    """A published postmortem with a data factor, and an incident repeating it."""
    earlier = resolved_incident(product, bob, severity="sev1")
    earlier.fingerprint = "drift-1"
    earlier.save()
    factor = {
        "category": "data",
        "ml_kind": "upstream_data_change",
        "description": "A source renamed a column.",
    }
    publish(earlier, alice, bob, factor=factor)
    again = open_incident(product, fingerprint="drift-1", severity="sev2")
    return earlier, again


def test_api_figures_link_to_what_is_behind_them(history, alice):
    earlier, again = history
    response = api_as(alice).get("/api/v1/insights/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["recurrence"]["total"] == 2
    assert body["recurrence"]["part"] == 1
    assert body["recurrence"]["rate"] == 0.5
    [factor] = body["factors_by_quarter"]
    assert (factor["category"], factor["count"]) == ("data", 1)
    assert "category=data" in factor["url"] and "status=published" in factor["url"]
    data = next(t for t in body["time_by_factor_category"] if t["label"] == "Data")
    assert data["incidents"] == 1
    assert data["median_time_to_resolve_seconds"] == 2 * 3600
    sev1 = body["time_by_severity"][0]
    assert (sev1["label"], sev1["incidents"]) == ("SEV1", 1)
    # The links list exactly the incidents behind the figures.
    incidents = api_as(alice).get(
        "/api/v1/incidents/" + body["recurrence"]["part_url"].split("/incidents/")[1]
    )
    assert [i["id"] for i in incidents.json()["results"]] == [again.pk]
    behind = api_as(alice).get(
        "/api/v1/incidents/" + data["url"].split("/incidents/")[1]
    )
    assert [i["id"] for i in behind.json()["results"]] == [earlier.pk]
    prevent = body["action_items_on_time"]
    assert sum(r["total"] for r in prevent) == 1
    assert body["postmortems_published_on_time"]["total"] == 1


def test_unknown_filters_are_400(alice, product):
    response = api_as(alice).get("/api/v1/insights/?team=nope&period=1999-Q1")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"team", "period"}


def test_a_private_team_s_failures_are_absent_for_outsiders(history, team, carol):
    team.visibility = "private"
    team.save()
    body = api_as(carol).get("/api/v1/insights/").json()
    assert body["recurrence"]["total"] == 0
    assert body["factors_by_quarter"] == []
    product = api_as(carol).get("/api/v1/insights/?product=fraud-score")
    assert product.status_code == 400


def test_the_page_and_its_pdf(history, alice_client):
    page = alice_client.get("/insights/")
    html = page.content.decode()
    assert "Insights across failures" in html
    assert "<svg" in html and "Recurrence rate" in html
    assert "50%" in html
    pdf = alice_client.get("/insights/insights.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


# --- The scale dataset --------------------------------------------------------------


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            yield seed_scale(20, now=NOW)
            transaction.set_rollback(True)


def _sql(query: str, *params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


@pytest.mark.postgres
@pytest.mark.django_db
def test_figures_equal_direct_sql_on_the_scale_dataset(scale, time_machine):
    time_machine.move_to(NOW, tick=False)
    period = period_get("12m")
    report = insights_report(user=staff_reader(), filters=Filters(period=period))
    span = (period.start, period.end)
    in_period = "started_at >= %s AND started_at < %s AND product_id IS NOT NULL"
    [(total, recurring)] = _sql(
        f"SELECT count(*), count(recurrence_of_id) FROM incidents_incident "
        f"WHERE {in_period}",
        *span,
    )
    assert recurring > 0
    assert (report.recurrence.total, report.recurrence.part) == (total, recurring)
    by_severity = dict(
        _sql(
            f"SELECT severity, count(*) FROM incidents_incident WHERE {in_period} "
            "GROUP BY severity",
            *span,
        )
    )
    assert {
        t.label.lower(): t.incidents for t in report.by_severity if t.incidents
    } == (by_severity)
    by_category = dict(
        _sql(
            "SELECT f.category, count(DISTINCT i.id) FROM incidents_incident i "
            "JOIN postmortems_postmortem_incidents pi ON pi.incident_id = i.id "
            "JOIN postmortems_contributingfactor f "
            "ON f.postmortem_id = pi.postmortem_id "
            "WHERE i.started_at >= %s AND i.started_at < %s "
            "AND i.product_id IS NOT NULL "
            "GROUP BY f.category",
            *span,
        )
    )
    assert by_category
    mine = {t.label: t.incidents for t in report.by_category if t.incidents}
    from tracker.postmortems.models import FactorCategory

    assert mine == {FactorCategory(c).label: n for c, n in by_category.items()}
    factors = _sql(
        "SELECT to_char(date_trunc('quarter', p.published_at), 'YYYY-\"Q\"Q'), "
        "f.category, f.ml_kind, count(*) FROM postmortems_contributingfactor f "
        "JOIN postmortems_postmortem p ON p.id = f.postmortem_id "
        "WHERE p.status = 'published' AND p.published_at >= %s AND p.published_at < %s "
        "GROUP BY 1, 2, 3",
        *span,
    )
    assert sorted((q, c, n) for q, c, _, n in factors) == sorted(
        (f.quarter, f.category, f.count) for f in report.factors
    )
    items = {
        kind: (n, on_time)
        for kind, n, on_time in _sql(
            "SELECT kind, count(*), count(*) FILTER (WHERE status = 'done' AND "
            "(due_date IS NULL OR closed_at::date <= due_date)) "
            "FROM postmortems_actionitem WHERE postmortem_id IS NOT NULL "
            "AND created_at >= %s AND created_at < %s GROUP BY kind",
            *span,
        )
    }
    assert {
        r.label.lower(): (r.total, r.part) for r in report.action_items if r.total
    } == items
    [(published,)] = _sql(
        "SELECT count(*) FROM postmortems_postmortem p WHERE status = 'published' "
        "AND published_at >= %s AND published_at < %s AND EXISTS (SELECT 1 FROM "
        "postmortems_postmortem_incidents pi JOIN incidents_incident i ON "
        "i.id = pi.incident_id WHERE pi.postmortem_id = p.id AND i.severity IN "
        "('sev1', 'sev2'))",
        *span,
    )
    # The default policies give SEV1–2 postmortems a deadline, and only them.
    assert report.published_on_time.total == published


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_data(history, product, alice, bob):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            insights_report(user=alice, filters=Filters(period=period_get("12m")))
        return len(queries.captured_queries)

    small = count()
    for _ in range(3):
        earlier = resolved_incident(product, bob, severity="sev2")
        publish(earlier, alice, bob)
    assert count() == small <= 6
