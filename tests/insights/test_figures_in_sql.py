"""Insights figures that the database works out: the business-day deadline in
SQL (BusinessDeadline) against add_business_days, an incident counted once per
factor category however many postmortems and factors name it, postmortems
published within their policy per severity and risk tier, and the covering
index the period's published postmortems are read from."""

import sqlite3
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import DateTimeField, IntegerField, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.postmortems.conftest import resolved_incident
from tests.postmortems.test_learning import publish
from tracker.incidents.models import Incident
from tracker.insights.selectors import Filters, insights_report
from tracker.lib.periods import period_get
from tracker.postmortems.models import FollowUpPolicy, Postmortem
from tracker.postmortems.selectors.deadlines import (
    BusinessDeadline,
    add_business_days,
    register_sqlite_business_deadline,
)
from tracker.products.models import Product

DAYS = (0, 1, 4, 5, 6, 11)
# Every seventh hour of two weeks: each weekday, weekends, midnights.
MOMENTS = [datetime(2026, 1, 9, tzinfo=UTC) + timedelta(hours=7 * i) for i in range(48)]


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/New_York"])
def test_business_deadline_in_sql_is_add_business_days(product, zone):
    with timezone.override(zone):
        for moment in MOMENTS:
            row = (
                Product.objects.filter(pk=product.pk)
                .annotate(
                    **{
                        f"d{days}": BusinessDeadline(
                            Value(moment, output_field=DateTimeField()),
                            Value(days, output_field=IntegerField()),
                        )
                        for days in DAYS
                    },
                    none=BusinessDeadline(
                        Value(moment, output_field=DateTimeField()),
                        Value(None, output_field=IntegerField()),
                    ),
                )
                .values(*(f"d{days}" for days in DAYS), "none")
                .get()
            )
            assert row.pop("none") is None
            assert row == {
                f"d{days}": add_business_days(moment, days) for days in DAYS
            }, (zone, moment)


def test_business_deadline_on_sqlite_is_add_business_days():
    database = sqlite3.connect(":memory:")
    register_sqlite_business_deadline(
        None, SimpleNamespace(vendor="sqlite", connection=database)
    )
    for moment in MOMENTS:
        stored = str(moment.replace(tzinfo=None))  # as Django stores it
        for days in DAYS:
            [(deadline,)] = database.execute(
                "SELECT tracker_business_deadline(?, ?)", (stored, days)
            ).fetchall()
            expected = add_business_days(moment, days).astimezone(UTC)
            assert deadline == str(expected.replace(tzinfo=None)), (moment, days)
    assert database.execute(
        "SELECT tracker_business_deadline(?, NULL)", (str(MOMENTS[0]),)
    ).fetchall() == [(None,)]


def _resolve_after(incident: Incident, hours: int) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        resolved_at=incident.started_at + timedelta(hours=hours)
    )


@pytest.mark.django_db
def test_an_incident_counts_once_per_category(product, alice, bob):
    data = {"category": "data", "ml_kind": "", "description": "A renamed column."}
    twice = resolved_incident(product, bob)  # 2 hours to resolve
    publish(twice, alice, bob, factor=data)
    again = publish(twice, alice, bob, factor=data)  # a second postmortem
    Postmortem.objects.get(pk=again.pk).factors.create(**data)  # a second factor
    for hours in (10, 4):
        other = resolved_incident(product, bob)
        _resolve_after(other, hours)
        publish(other, alice, bob, factor=data)

    report = insights_report(user=alice, filters=Filters(period=period_get("12m")))
    by_category = {t.label: t for t in report.by_category}
    assert by_category["Data"].incidents == 3
    # Of 2, 4 and 10 hours; counting the first incident three times gives 2.
    assert by_category["Data"].median_ttr == timedelta(hours=4)
    assert by_category["Model"].incidents == 0
    assert by_category["Model"].median_ttr is None


def _last_friday() -> datetime:
    today = timezone.localdate()
    friday = today - timedelta(days=(today.weekday() - 4) % 7 + 7)
    return timezone.make_aware(datetime.combine(friday, datetime.min.time()))


@pytest.mark.django_db
def test_published_within_the_policy_by_severity_and_tier(product, alice, bob):
    # SEV1 gets 1 business day; SEV2 on this product's tier has no deadline
    # (the tier's policy wins over SEV2's 5 days); SEV3 has no policy.
    FollowUpPolicy.objects.filter(severity="sev1").update(postmortem_business_days=1)
    FollowUpPolicy.objects.create(
        severity="sev2", risk_tier=product.risk_tier, postmortem_business_days=None
    )
    resolved = _last_friday() + timedelta(hours=16)  # Friday 16:00
    monday = resolved + timedelta(days=3)  # the deadline: Monday 16:00
    for severity, published in [
        ("sev1", monday - timedelta(hours=1)),  # within
        ("sev1", monday),  # within: on the deadline
        ("sev1", monday + timedelta(hours=1)),  # late
        ("sev2", monday + timedelta(days=2)),  # no deadline
        ("sev3", monday + timedelta(days=2)),  # no policy
    ]:
        incident = resolved_incident(product, bob, severity=severity)
        Incident.objects.filter(pk=incident.pk).update(
            started_at=resolved - timedelta(hours=2),
            detected_at=resolved - timedelta(hours=1),
            resolved_at=resolved,
        )
        postmortem = publish(incident, alice, bob)
        Postmortem.objects.filter(pk=postmortem.pk).update(published_at=published)

    report = insights_report(user=alice, filters=Filters(period=period_get("12m")))
    assert (report.published_on_time.total, report.published_on_time.part) == (3, 2)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_period_s_published_postmortems_come_from_the_covering_index(
    product, alice, bob
):
    for _ in range(3):
        publish(resolved_incident(product, bob), alice, bob)
    with CaptureQueriesContext(connection) as queries:
        insights_report(user=alice, filters=Filters(period=period_get("12m")))
    on_time = queries.captured_queries[-1]["sql"]  # published within policy
    with connection.cursor() as cursor:
        # Three rows: the planner would read the table whatever the indexes.
        # The index on (status, published_at) could serve too, reading each
        # row besides; which of the two it picks then follows the size the
        # earlier tests' rolled-back rows left the table at. Without it (for
        # this test's transaction), the plan says whether this index alone
        # answers the query: an index-only scan.
        cursor.execute("DROP INDEX postmortem_status_idx")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {on_time}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using postmortem_published_idx" in plan, plan
