import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import (
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SLACheckFactory,
    SLAFactory,
    staff_reader,
)
from tracker.lib.periods import period_choices, period_get
from tracker.products.models import Product
from tracker.reports.exports import CSV_COLUMNS
from tracker.reports.selectors.kpis import kpi_status
from tracker.reports.selectors.portfolio import portfolio_report

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def report(**filters):
    return portfolio_report(
        filters=filters, period=period_get(None), user=staff_reader(), now=NOW
    )


@time_machine.travel(NOW, tick=False)
def test_kpi_figures_on_a_hand_made_product(product):
    product.launched_at = NOW - timedelta(days=60)
    product.stage = "production"
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
    MeasurementFactory(metric=metric, value=410, measured_at=NOW - timedelta(days=90))
    MeasurementFactory(metric=metric, value=360, measured_at=NOW - timedelta(days=30))
    MeasurementFactory(metric=metric, value=340, measured_at=NOW - timedelta(days=1))
    [row] = report().rows
    [kpi] = row.kpis
    assert kpi.latest == 340
    assert kpi.progress == pytest.approx(0.6)  # 400 → 340 of the way to 300
    assert kpi.status == "on_track"  # half the year elapsed, 60% of the way
    # After launch: mean of 360 and 340 = 350, 12.5% below the 400 baseline.
    assert kpi.after_launch_change == pytest.approx(-0.125)


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        (None, "no_data"),
        (1.2, "on_track"),
        (0.5, "on_track"),
        (0.3, "at_risk"),
        (0.2, "off_track"),
        (-0.1, "off_track"),
    ],
)
def test_kpi_status_against_elapsed_time(product, progress, expected):
    metric = MetricFactory(
        product=product, baseline_at=date(2026, 1, 1), target_date=date(2026, 12, 31)
    )
    # 1 July: half of the year has elapsed, so 50% progress keeps pace.
    assert kpi_status(metric, progress, date(2026, 7, 2)) == expected


def test_kpi_status_without_dates(product):
    metric = MetricFactory(product=product, baseline_at=None, target_date=None)
    assert kpi_status(metric, 1.0, date(2026, 7, 1)) == "on_track"
    assert kpi_status(metric, 0.4, date(2026, 7, 1)) == "at_risk"
    assert kpi_status(metric, 0.0, date(2026, 7, 1)) == "off_track"


def test_sla_compliance_and_budget_in_the_row(product):
    sla = SLAFactory(product=product, threshold=100, window_days=7, objective=50)
    for value in (10, 20, 30, 200):
        SLACheckFactory(sla=sla, value=value, checked_at=NOW - timedelta(days=1))
    [row] = report().rows
    [(_, compliance)] = row.slas
    assert (compliance.total, compliance.passed) == (4, 3)
    assert compliance.budget_remaining == pytest.approx(0.5)  # 1 of 2 allowed failures


def test_attention_of_a_proposal_is_its_plan(product):
    [row] = report().rows
    assert row.attention == [
        "no business KPI with baseline and target",
        "owners missing: ML, Engineering",
    ]


def test_overdue_follow_ups_are_counted(product):
    MetricFactory(product=product, next_due_at=NOW - timedelta(days=1))
    MetricFactory(product=product, next_due_at=NOW + timedelta(days=1))
    assert report().rows[0].overdue_followups == 1


def test_filters_by_team_stage_and_risk(team, other_team):
    ProductFactory(name="A", team=team, stage="pilot", risk_tier="high")
    ProductFactory(name="B", team=other_team, stage="pilot", risk_tier="low")
    ProductFactory(name="C", team=team, stage="building", risk_tier="low")
    names = lambda r: [row.product.name for row in r.rows]  # noqa: E731
    assert names(report(team=team)) == ["A", "C"]
    assert names(report(stage="pilot")) == ["B", "A"]  # by team, then name
    assert names(report(risk_tier="low", team=team)) == ["C"]


def test_period_presets_are_quarters_and_a_rolling_year():
    choices = period_choices(date(2026, 11, 24))
    assert [p.key for p in choices] == [
        "12m",
        "2026-Q4",
        "2026-Q3",
        "2026-Q2",
        "2026-Q1",
        "2025-Q4",
    ]
    q3 = period_get("2026-Q3", date(2026, 11, 24))
    assert (q3.start.date(), q3.end.date()) == (date(2026, 7, 1), date(2026, 10, 1))
    assert period_get("bogus", date(2026, 11, 24)).key == "12m"


def _populate(team, n):
    from tests.readiness.test_readiness import ci_report

    for _ in range(n):
        product = ProductFactory(team=team)
        metric = MetricFactory(product=product)
        MeasurementFactory(metric=metric)
        SLACheckFactory(sla=SLAFactory(product=product))
        ci_report(product, "train", "success", sha=f"{product.pk:040x}")


def test_query_count_does_not_grow_with_products(team, django_assert_num_queries):
    _populate(team, 2)
    with django_assert_num_queries(21) as small:
        assert len(report().rows) == 2
    _populate(team, 10)
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(report().rows) == 12


@pytest.mark.parametrize("name", ["portfolio", "portfolio_csv"])
def test_page_and_csv_query_counts_do_not_grow_with_products(
    name, alice_client, team, django_assert_num_queries
):
    """The page's templates and the CSV touch only what the selector loaded."""
    from tests.readiness.test_readiness import ci_report

    def populate(n):
        _populate(team, n)
        for product in Product.objects.filter(incidents__isnull=True):
            _incident(product, started=timezone.now(), detect_min=5, resolve_min=9)
            ci_report(product, "evaluate", "failure", sha="f" * 40)

    url = reverse(f"reports:{name}")
    populate(2)
    alice_client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert alice_client.get(url).status_code == 200
    populate(10)
    with django_assert_num_queries(len(small.captured_queries)):
        assert alice_client.get(url).status_code == 200


def test_page_filters_and_reports_bad_values(alice_client, product):
    url = reverse("reports:portfolio")
    assert "Fraud score" in alice_client.get(url).content.decode()
    assert "Fraud score" not in alice_client.get(url + "?stage=pilot").content.decode()
    response = alice_client.get(url + "?stage=shipped&team=nope")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_page_filters_by_team_slug(alice_client, product, other_team):
    ProductFactory(name="Elsewhere product", team=other_team)
    response = alice_client.get(reverse("reports:portfolio") + "?team=risk")
    text = response.content.decode()
    assert "Select a valid choice" not in text
    assert "Fraud score" in text and "Elsewhere product" not in text


def test_anonymous_is_sent_to_login(client):
    for name in ("portfolio", "portfolio_csv", "portfolio_pdf"):
        assert client.get(reverse(f"reports:{name}")).status_code == 302


def test_csv_has_stable_columns_and_one_row_per_product(carol_client, product, team):
    ProductFactory(team=team, name="Churn")
    MetricFactory(product=product, name="Losses", baseline=10, target=20)
    response = carol_client.get(reverse("reports:portfolio_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == CSV_COLUMNS
    assert {row["product"] for row in rows} == {"Fraud score", "Churn"}
    fraud = next(row for row in rows if row["slug"] == "fraud-score")
    assert fraud["business_kpis"] == "1" and fraud["owners_complete"] == "no"
    assert fraud["kpi_summary"] == "Losses: 10 -> no measurement / 20 (no data)"


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(content)).pages
    )


def test_pdf_is_a_valid_pdf_with_the_report(alice_client, product):
    MetricFactory(product=product, name="Chargeback losses", baseline=10, target=20)
    response = alice_client.get(reverse("reports:portfolio_pdf") + "?stage=proposed")
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Portfolio report" in text
    assert "Fraud score" in text and "Chargeback losses" in text
    assert "stage Proposed" in text  # the filters are printed
    assert "page 1 of" in text


def test_product_summary_pdf(alice_client, product):
    response = alice_client.get(reverse("reports:product_pdf", args=[product.slug]))
    text = _pdf_text(response.content)
    assert "Fraud score" in text and "Owners and readiness" in text
    assert (
        alice_client.get(reverse("reports:product_pdf", args=["nope"])).status_code
        == 404
    )


def test_product_summary_pdf_is_of_the_product_asked(alice_client, product, team):
    ProductFactory(team=team, name="Churn radar", slug="churn-radar")
    ProductFactory(team=team, name="Anomaly desk", slug="anomaly-desk")  # sorts first
    response = alice_client.get(reverse("reports:product_pdf", args=["churn-radar"]))
    text = _pdf_text(response.content)
    assert "Churn radar" in text
    assert "Anomaly desk" not in text and "Fraud score" not in text


def test_report_selector_filters_by_product(product, team):
    ProductFactory(team=team, name="Anomaly desk")
    assert [row.product.pk for row in report(product=product).rows] == [product.pk]


def _incident(
    product, *, started, detect_min, resolve_min=None, severity="sev2", kind="drift"
):
    from tracker.incidents.models import Incident

    return Incident.objects.create(
        product=product,
        title="x",
        severity=severity,
        kind=kind,
        started_at=started,
        detected_at=started + timedelta(minutes=detect_min),
        status="resolved" if resolve_min else "open",
        resolved_at=started + timedelta(minutes=resolve_min) if resolve_min else None,
    )


@time_machine.travel(NOW, tick=False)
def test_incident_figures_in_the_period(product):
    june = datetime(2026, 6, 10, tzinfo=UTC)
    _incident(product, started=june, detect_min=10, resolve_min=60)
    _incident(product, started=june, detect_min=20, resolve_min=180, severity="sev1")
    _incident(product, started=june, detect_min=60, kind="data_quality")  # unresolved
    _incident(
        product, started=datetime(2025, 1, 1, tzinfo=UTC), detect_min=1
    )  # outside
    portfolio = report()
    [row] = portfolio.rows
    assert row.incidents == {"sev1": 1, "sev2": 2}
    assert row.median_ttd == timedelta(minutes=20)
    assert row.median_ttr == timedelta(minutes=120)  # median of 60 and 180
    assert portfolio.incidents_by_month["2026-06"] == {"drift": 2, "data_quality": 1}
    assert portfolio.ttr_by_month["2026-06"] == timedelta(minutes=120)
    q1 = portfolio_report(
        filters={},
        period=period_get("2026-Q1", date(2026, 7, 1)),
        user=staff_reader(),
        now=NOW,
    )
    assert q1.rows[0].incidents == {}


def _action_item(session, *, due, status="open", closed=None):
    from tracker.postmortems.models import ActionItem

    return ActionItem.objects.create(
        session=session,
        description="Do it",
        kind="prevent",
        due_date=due,
        status=status,
        closed_at=closed,
        status_note="dropped" if status == "wont_do" else "",
    )


@time_machine.travel(NOW, tick=False)
def test_action_items_open_overdue_and_closed_on_time(product):
    from tests.factories import SessionFactory

    session = SessionFactory(product=product)
    _action_item(session, due=date(2026, 6, 20))  # overdue
    _action_item(session, due=date(2026, 7, 20))  # open, not yet due
    _action_item(
        session,
        due=date(2026, 6, 10),
        status="done",
        closed=datetime(2026, 6, 9, tzinfo=UTC),
    )  # on time
    _action_item(
        session,
        due=date(2026, 6, 12),
        status="done",
        closed=datetime(2026, 6, 15, tzinfo=UTC),
    )  # late
    _action_item(
        session,
        due=date(2026, 6, 14),
        status="wont_do",
        closed=datetime(2026, 6, 1, tzinfo=UTC),
    )  # not counted
    portfolio = report()
    [row] = portfolio.rows
    assert (row.open_action_items, row.overdue_action_items) == (2, 1)
    # Due in June and not dropped: 3, of which 1 was done by its due date.
    assert portfolio.closure_by_month["2026-06"] == pytest.approx(1 / 3)
    assert portfolio.closure_by_month["2026-05"] is None


def test_postmortem_completion_and_stuck_drafts(product, alice):
    from tracker.incidents.models import Incident
    from tracker.postmortems.models import Postmortem

    long_ago = NOW - timedelta(days=30)
    covered = _incident(product, started=long_ago, detect_min=5, resolve_min=60)
    _incident(product, started=long_ago, detect_min=5, resolve_min=60, severity="sev1")
    _incident(product, started=long_ago, detect_min=5, resolve_min=60, severity="sev3")
    published = Postmortem.objects.create(
        product=product, title="P", status="published", published_at=NOW
    )
    published.incidents.add(covered)
    draft = Postmortem.objects.create(product=product, title="D", status="draft")
    draft.incidents.add(Incident.objects.get(severity="sev1"))
    [row] = report().rows
    assert (row.postmortems.total, row.postmortems.covered) == (2, 1)
    assert row.stuck_postmortems == 1
    assert row.attention[0] == "1 postmortem past its review deadline"


def test_worst_segment_against_its_floor_in_the_row_and_csv(product, alice_client):
    from tracker.products.segments import segments_set
    from tracker.products.services import measurement_record

    segments_set(product=product, names=["size=small", "size=large"])
    metric = MetricFactory(
        product=product,
        name="Recall",
        direction="higher",
        target=0.9,
        worst_case_floor=0.7,
    )
    for name, value in (("size=small", 0.6), ("size=large", 0.8)):
        measurement_record(
            metric=metric,
            value=value,
            measured_at=timezone.now() - timedelta(hours=1),
            actor=None,
            segment=name,
        )
    figures = report().rows[0].figures
    assert figures["worst_segment"] == "size=small"
    assert figures["worst_segment_metric"] == "Recall"
    assert figures["worst_segment_value"] == 0.6
    assert figures["worst_case_floor"] == 0.7
    assert figures["worst_segment_meets_floor"] is False
    body = alice_client.get(reverse("reports:portfolio_csv")).content.decode()
    (row,) = csv.DictReader(io.StringIO(body))
    assert (row["worst_segment"], row["worst_segment_meets_floor"]) == (
        "size=small",
        "no",
    )
