"""The portfolio report over the API: the same figures as the page and the CSV."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from tests.factories import (
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLACheckFactory,
    SLAFactory,
)
from tests.readiness.test_readiness import ci_report
from tracker.lib.periods import period_get
from tracker.postmortems.models import ActionItem, Postmortem
from tracker.reports.exports import csv_row
from tracker.reports.selectors.portfolio import portfolio_report
from tracker.reports.standings import standings_refresh_all

URL = "/api/v1/reports/portfolio/"
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _incident(product, *, started, detect_min, resolve_min=None, **kwargs):
    return IncidentFactory(
        product=product,
        started_at=started,
        detected_at=started + timedelta(minutes=detect_min),
        status="resolved" if resolve_min else "open",
        resolved_at=started + timedelta(minutes=resolve_min) if resolve_min else None,
        **kwargs,
    )


@pytest.fixture
def dataset(product, team, other_team, alice):
    """A small, hand-made portfolio: one product with a figure in every column,
    one with nothing."""
    product.stage, product.launched_at = "production", NOW - timedelta(days=60)
    product.save()
    losses = MetricFactory(
        product=product,
        name="Losses",
        unit="k€",
        direction="lower",
        baseline=400,
        target=300,
        baseline_at=date(2026, 1, 1),
        target_date=date(2026, 12, 31),
        next_due_at=NOW - timedelta(days=2),
    )
    for value, days in ((410, 90), (360, 30), (340, 1)):
        MeasurementFactory(
            metric=losses, value=value, measured_at=NOW - timedelta(days=days)
        )
    MetricFactory(product=product, name="Approvals", baseline=100, target=150)
    sla = SLAFactory(product=product, name="Latency", threshold=100, objective=50)
    for value in (10, 20, 30, 200):
        SLACheckFactory(sla=sla, value=value, checked_at=NOW - timedelta(days=1))
    SLAFactory(product=product, name="Uptime")  # no checks yet
    june = datetime(2026, 6, 10, tzinfo=UTC)
    covered = _incident(
        product, started=june, detect_min=10, resolve_min=60, severity="sev2"
    )
    _incident(product, started=june, detect_min=20, resolve_min=180, severity="sev1")
    _incident(
        product, started=june, detect_min=60, severity="sev3", kind="data_quality"
    )
    postmortem = Postmortem.objects.create(
        product=product, title="P", status="published", published_at=NOW
    )
    postmortem.incidents.add(covered)
    session = SessionFactory(product=product)
    for due, status, closed in (
        (date(2026, 6, 20), "open", None),
        (date(2026, 6, 10), "done", datetime(2026, 6, 9, tzinfo=UTC)),
        (date(2026, 6, 12), "done", datetime(2026, 6, 15, tzinfo=UTC)),
    ):
        ActionItem.objects.create(
            session=session,
            description="Do it",
            kind="prevent",
            due_date=due,
            status=status,
            closed_at=closed,
        )
    ci_report(product, "train", "success", sha="c" * 40)
    ProductFactory(name="Churn", slug="churn", team=other_team, risk_tier="high")
    return product


@time_machine.travel(NOW, tick=False)
def test_figures_on_a_hand_made_portfolio(carol_api, dataset):
    standings_refresh_all()  # the totals' and attention list's figures
    response = carol_api.get(URL)  # an outsider reads the whole portfolio
    assert response.status_code == 200
    body = response.json()
    fraud = next(p for p in body["products"] if p["slug"] == "fraud-score")
    [losses, approvals] = sorted(fraud["kpis"], key=lambda k: k["name"] != "Losses")
    assert losses == {
        "name": "Losses",
        "unit": "k€",
        "direction": "lower",
        "baseline": 400.0,
        "latest": 340.0,
        "target": 300.0,
        "progress": pytest.approx(0.6),
        "status": "on_track",
        "after_launch_change": pytest.approx(-0.125),
    }
    assert (approvals["latest"], approvals["progress"]) == (None, None)
    assert approvals["status"] == "no_data"
    assert fraud["slas"] == [
        {
            "name": "Latency",
            "checks": 4,
            "passed": 3,
            "compliance": 0.75,
            "meets_objective": True,
            "error_budget_remaining": 0.5,
        },
        {
            "name": "Uptime",
            "checks": 0,
            "passed": 0,
            "compliance": None,
            "meets_objective": None,
            "error_budget_remaining": None,
        },
    ]
    assert {k: fraud[k] for k in ("name", "team", "team_name", "stage")} == {
        "name": "Fraud score",
        "team": "risk",
        "team_name": "Risk",
        "stage": "production",
    }
    assert fraud["kpi_min_progress"] == pytest.approx(0.6)
    assert (fraud["sla_min_compliance"], fraud["sla_min_error_budget"]) == (0.75, 0.5)
    assert (fraud["incidents"], fraud["incidents_sev1"], fraud["incidents_sev3"]) == (
        3,
        1,
        1,
    )
    assert fraud["median_time_to_detect_seconds"] == 20 * 60
    assert fraud["median_time_to_resolve_seconds"] == 120 * 60  # of 60 and 180 min
    assert (fraud["sev12_incidents"], fraud["postmortem_completion"]) == (2, 0.5)
    assert (fraud["open_action_items"], fraud["overdue_action_items"]) == (1, 1)
    assert fraud["overdue_kpi_followups"] == 1
    assert (fraud["latest_ci_state"], fraud["latest_ci_sha"]) == ("success", "c" * 40)
    assert fraud["html_url"] == "http://testserver/products/fraud-score/"
    churn = next(p for p in body["products"] if p["slug"] == "churn")
    assert churn["kpi_min_progress"] is None and churn["latest_ci_state"] is None
    assert churn["median_time_to_detect_seconds"] is None
    # proposed: what it lacks is its plan (not an SLA or a survey)
    assert churn["attention"] == [
        "no business KPI with baseline and target",
        "owners missing: PM / business, ML, Engineering",
    ]
    assert fraud["attention"] == ["1 overdue action item", "1 overdue KPI follow-up"]
    # the ranked list at the top: production's overdue follow-ups (medium tier)
    # before a high-tier proposal's missing plan
    assert body["attention"] == [
        {"rank": 1, "product": "fraud-score", "reasons": fraud["attention"]},
        {"rank": 2, "product": "churn", "reasons": churn["attention"]},
    ]
    assert body["hidden_products"] == 0

    totals = body["totals"]
    assert totals["products"] == 2
    assert totals["products_by_stage"]["production"] == 1
    assert totals["products_by_stage"]["proposed"] == 1
    assert totals["kpi_status"] == {
        "on_track": 1,
        "at_risk": 0,
        "off_track": 0,
        "no_data": 1,
    }
    assert totals["postmortem_completion"] == {
        "sev12_incidents": 2,
        "with_published_postmortem": 1,
        "completion": 0.5,
    }
    june = next(m for m in totals["months"] if m["month"] == "2026-06")
    assert june["incidents"]["drift"] == 2 and june["incidents"]["data_quality"] == 1
    assert june["incidents"]["outage"] == 0
    assert june["median_time_to_resolve_seconds"] == 120 * 60
    assert june["action_items_on_time"] == pytest.approx(1 / 3)  # 1 of 3 on time
    assert body["period"]["key"] == "12m"
    assert body["generated_at"].startswith("2026-07-01T12:00:00")


@time_machine.travel(NOW, tick=False)
def test_every_figure_matches_the_report_page_and_the_csv(alice_api, alice, dataset):
    """The API and the HTML report (and its CSV) share one selector."""
    standings_refresh_all()
    body = alice_api.get(URL).json()
    portfolio = portfolio_report(
        filters={}, period=period_get(None), user=alice, now=NOW
    )
    assert len(body["products"]) == len(portfolio.rows) == 2
    for row, api in zip(portfolio.rows, body["products"], strict=True):
        assert api["slug"] == row.product.slug
        for name, value in row.figures.items():
            if name.startswith("median_time_to"):
                seconds = None if value is None else value.total_seconds()
                assert api[f"{name}_seconds"] == seconds, name
            else:
                assert api[name] == value, name
        assert api["attention"] == row.attention
        assert [k["latest"] for k in api["kpis"]] == [k.latest for k in row.kpis]
        # The CSV writes the same figures as text.
        text = csv_row(row)
        for name in ("kpi_min_progress", "sla_min_compliance", "postmortem_completion"):
            expected = "" if api[name] is None else f"{api[name] * 100:.1f}"
            assert text[f"{name}_pct"] == expected, name
        for name in ("readiness_passed", "incidents", "open_action_items"):
            assert text[name] == api[name]
    totals = body["totals"]
    assert totals["products_by_stage"] == portfolio.stage_counts()
    assert totals["kpi_status"] == portfolio.kpi_statuses()
    assert [m["month"] for m in totals["months"]] == list(portfolio.incidents_by_month)
    for month in totals["months"]:
        ttr = portfolio.ttr_by_month[month["month"]]
        assert month["median_time_to_resolve_seconds"] == (
            None if ttr is None else ttr.total_seconds()
        )
        assert month["action_items_on_time"] == portfolio.closure_by_month.get(
            month["month"]
        )


@time_machine.travel(NOW, tick=False)
def test_csv_export_is_unchanged_by_the_typed_figures(alice_client, dataset):
    response = alice_client.get("/reports/portfolio.csv")
    rows = {r["slug"]: r for r in csv.DictReader(io.StringIO(response.text))}
    fraud = rows["fraud-score"]
    assert fraud["kpi_min_progress_pct"] == "60.0"
    assert fraud["kpi_after_launch_change_pct"] == "-12.5"
    assert fraud["sla_min_compliance_pct"] == "75.0"
    assert fraud["median_time_to_resolve_minutes"] == "120"
    assert fraud["ml_test_score"] == "0" and fraud["owners_complete"] == "no"
    assert rows["churn"]["latest_ci_state"] == "" and rows["churn"]["incidents"] == "0"


def test_filters_are_those_of_the_page(alice_api, team, other_team):
    ProductFactory(name="A", slug="a", team=team, stage="pilot", risk_tier="high")
    ProductFactory(name="B", slug="b", team=other_team, stage="pilot", risk_tier="low")
    ProductFactory(name="C", slug="c", team=team, stage="building", risk_tier="low")

    def slugs(query: str) -> list[str]:
        response = alice_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [p["slug"] for p in response.json()["products"]]

    assert slugs("") == ["b", "a", "c"]  # by team name, then product name
    assert slugs("team=risk") == ["a", "c"]
    assert slugs("stage=pilot") == ["b", "a"]
    assert slugs("risk_tier=low&team=risk") == ["c"]
    body = alice_api.get(f"{URL}?team=risk&stage=pilot&period=12m").json()
    assert body["html_url"] == (
        "http://testserver/reports/portfolio/?team=risk&stage=pilot&period=12m"
    )
    assert alice_api.get(URL).json()["html_url"] == (
        "http://testserver/reports/portfolio/"
    )


@time_machine.travel(NOW, tick=False)
def test_period_is_a_quarter_or_the_rolling_year(alice_api, product):
    _incident(product, started=datetime(2026, 2, 1, tzinfo=UTC), detect_min=5)
    q1 = alice_api.get(f"{URL}?period=2026-Q1").json()
    assert q1["period"] == {
        "key": "2026-Q1",
        "label": "2026 Q1",
        "start": "2026-01-01T00:00:00Z",
        "end": "2026-04-01T00:00:00Z",
    }
    assert [m["month"] for m in q1["totals"]["months"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert q1["products"][0]["incidents"] == 1
    q2 = alice_api.get(f"{URL}?period=2026-Q2").json()
    assert q2["products"][0]["incidents"] == 0


def test_invalid_filters_are_400_with_field_messages(alice_api, team):
    response = alice_api.get(f"{URL}?stage=shipped&team=nope&period=1999-Q1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"stage", "team", "period"}
    assert "Select a valid choice" in error["fields"]["stage"][0]


def test_anonymous_is_401_and_ci_tokens_403(anon, ci_api, product):
    response = anon.get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert ci_api.get(URL).status_code == 403


def _populate(team, n):
    for i in range(n):
        product = ProductFactory(team=team, stage="production", launched_at=NOW)
        metric = MetricFactory(product=product)
        MeasurementFactory(metric=metric, measured_at=NOW - timedelta(days=1))
        SLACheckFactory(sla=SLAFactory(product=product), checked_at=NOW)
        _incident(product, started=NOW - timedelta(days=3), detect_min=5, resolve_min=9)
        ci_report(product, "train", "success", sha=f"{i:040x}")
        session = SessionFactory(product=product)
        ActionItem.objects.create(
            session=session, description="x", kind="prevent", due_date=NOW.date()
        )


@time_machine.travel(NOW, tick=False)
def test_query_count_does_not_grow_with_products(
    alice_api, team, django_assert_num_queries
):
    _populate(team, 2)
    standings_refresh_all()  # what beat does every few minutes
    alice_api.get(URL)  # the token's last use is written once a minute
    with django_assert_num_queries(13) as small:
        body = alice_api.get(URL).json()
    assert len(body["products"]) == 2
    _populate(team, 10)
    standings_refresh_all()
    with django_assert_num_queries(len(small.captured_queries)):
        body = alice_api.get(URL).json()
    assert len(body["products"]) == 12
    assert all(p["latest_ci_state"] == "success" for p in body["products"])


def test_team_lists_come_a_page_at_a_time(alice_api, alice):
    """25 teams: the summaries and the value by team list 20, say how many
    there are and link to the rest; a page that is not one is a 404."""
    from tests.factories import TeamFactory

    for i in range(25):
        ProductFactory(team=TeamFactory(name=f"Team {i:02}", slug=f"team-{i:02}"))
    standings_refresh_all()
    body = alice_api.get(URL).json()
    totals = body["totals"]
    assert (len(body["teams"]), body["teams_count"]) == (20, 25)
    assert (len(totals["value_by_team"]), totals["value_by_team_count"]) == (20, 25)
    assert body["teams_previous"] is None
    assert body["teams_next"].endswith("teams_page=2")
    assert totals["value_by_team_next"].endswith("values_page=2")

    second = alice_api.get(body["teams_next"]).json()
    assert len(second["teams"]) == 5
    assert second["teams_next"] is None
    assert "teams_page" not in second["teams_previous"]
    assert len(second["totals"]["value_by_team"]) == 20  # its own page: the first
    first = {t["team"] for t in body["teams"]}
    assert first.isdisjoint(t["team"] for t in second["teams"])
    assert len(first | {t["team"] for t in second["teams"]}) == 25
    names = [v["team"] for v in totals["value_by_team"]]
    assert names == sorted(names)

    for page in ("3", "0", "two"):
        response = alice_api.get(URL, {"teams_page": page})
        assert response.status_code == 404, page
        assert alice_api.get(URL, {"values_page": page}).status_code == 404
