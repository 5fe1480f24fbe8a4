"""SLAs measured from a real Prometheus (Debian's `prometheus`, scraping an
exporter the test runs): values recorded as checks, a breach opening the SLA's
incident as a pushed check does, failed queries recorded as failed
evaluations, "not measured" after repeated failures, the API, the command and
the SLA page."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import SLAFactory, TeamFactory
from tests.integrations.servers import prometheus_scraping
from tracker.accounts.services import token_create
from tracker.incidents.models import Incident
from tracker.integrations.models import Connection, SLAQuery
from tracker.integrations.services import prometheus
from tracker.integrations.services.connections import connection_create

METRIC = "tracker_test_latency_ms"


@pytest.fixture(scope="module")
def prometheus_url():
    with prometheus_scraping({"fast": 120, "slow": 450}) as url:
        yield url


def _connect(team, url) -> Connection:
    return connection_create(
        actor=None,
        data={"name": "Prom", "kind": "prometheus", "team": team, "base_url": url},
    )


def _measured(product, url, query, threshold=200.0) -> SLAQuery:
    sla = SLAFactory(product=product, name="p99", comparator="lte", threshold=threshold)
    return prometheus.sla_query_set(
        sla=sla, connection=_connect(product.team, url), query=query
    )


def _evaluate(sla_query):
    return prometheus.sla_query_evaluate(sla_query_id=sla_query.pk, force=True)


def test_a_value_is_recorded_as_a_passing_check(prometheus_url, product):
    sla_query = _measured(product, prometheus_url, f'{METRIC}{{product="fast"}}')
    evaluation = _evaluate(sla_query)
    assert evaluation.value == 120.0 and evaluation.error == ""
    [check] = sla_query.sla.checks.all()
    assert (check.value, check.passed, check.source) == (120.0, True, "prometheus")
    assert not Incident.objects.exists()
    sla_query.connection.refresh_from_db()
    assert sla_query.connection.last_ok_at is not None


def test_a_breach_opens_the_slas_incident(prometheus_url, product):
    sla_query = _measured(product, prometheus_url, f'max({METRIC}{{product="slow"}})')
    _evaluate(sla_query)
    _evaluate(sla_query)
    [incident] = Incident.objects.all()
    assert incident.sla == sla_query.sla and incident.kind == "sla_breach"
    assert "450" in incident.title
    assert sla_query.sla.checks.filter(passed=False).count() == 2


def test_no_series_is_a_failed_evaluation_and_then_not_measured(
    prometheus_url, product
):
    sla_query = _measured(product, prometheus_url, "tracker_no_such_metric")
    for _ in range(SLAQuery.NOT_MEASURED_AFTER):
        evaluation = _evaluate(sla_query)
        assert evaluation.error == "The query returned no series."
    sla_query.refresh_from_db()
    assert sla_query.not_measured
    assert not sla_query.sla.checks.exists()


def test_several_series_and_bad_promql_are_failures_with_the_reason(
    prometheus_url, product
):
    several = _evaluate(_measured(product, prometheus_url, METRIC))
    assert "returned 2 series" in several.error
    SLAQuery.objects.all().delete()
    product.slas.all().delete()
    bad = _evaluate(_measured(product, prometheus_url, "sum(("))
    assert "answered 400" in bad.error and "parse error" in bad.error


def test_an_unreachable_prometheus_is_recorded_on_the_connection(product):
    sla_query = _measured(product, "http://127.0.0.1:9", "up")
    evaluation = _evaluate(sla_query)
    assert evaluation.error == "Cannot reach 127.0.0.1:9 (ConnectionError)."
    sla_query.connection.refresh_from_db()
    assert sla_query.connection.last_error == evaluation.error
    assert sla_query.connection.last_error_at is not None


def test_an_evaluation_not_due_is_skipped(prometheus_url, product):
    sla_query = _measured(product, prometheus_url, f'{METRIC}{{product="fast"}}')
    assert prometheus.sla_query_evaluate(sla_query_id=sla_query.pk) is not None
    assert prometheus.sla_query_evaluate(sla_query_id=sla_query.pk) is None


def test_the_command_evaluates_due_slas(prometheus_url, product, capsys):
    _measured(product, prometheus_url, f'{METRIC}{{product="fast"}}')
    call_command("evaluate_slas")
    out = capsys.readouterr().out
    assert ": 120" in out and "1 SLA(s) evaluated, 0 failed." in out


def _api(user) -> APIClient:
    api = APIClient()
    _, raw = token_create(user=user, name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


SLA = {"name": "p99", "indicator": "latency_p99_ms", "threshold": 200}


def test_api_creates_a_prometheus_sla(prometheus_url, product, alice):
    connection = _connect(product.team, prometheus_url)
    body = {
        **SLA,
        "source": "prometheus",
        "query": f'{METRIC}{{product="fast"}}',
        "integration": connection.pk,
        "interval_seconds": 60,
    }
    response = _api(alice).post(
        "/api/v1/products/fraud-score/slas/", body, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "prometheus"
    assert response.json()["prometheus"]["integration"] == connection.pk
    listed = _api(alice).get("/api/v1/products/fraud-score/slas/").json()
    assert listed["results"][0]["prometheus"]["query"] == body["query"]


def test_api_refuses_a_prometheus_sla_without_query_or_with_a_foreign_connection(
    product, alice
):
    foreign = _connect(TeamFactory(), "http://127.0.0.1:9")
    api = _api(alice)
    url = "/api/v1/products/fraud-score/slas/"
    missing = api.post(url, {**SLA, "source": "prometheus"}, format="json")
    assert missing.status_code == 400
    assert {"query", "integration"} <= set(missing.json()["error"]["fields"])
    other = api.post(
        url,
        {**SLA, "source": "prometheus", "query": "up", "integration": foreign.pk},
        format="json",
    )
    assert other.status_code == 400
    assert "integration" in other.json()["error"]["fields"]
    assert not product.slas.exists()


def test_the_sla_page_shows_failed_evaluations_and_not_measured(product, alice_client):
    sla_query = _measured(product, "http://127.0.0.1:9", "up")
    for _ in range(SLAQuery.NOT_MEASURED_AFTER):
        _evaluate(sla_query)
    page = alice_client.get(sla_query.sla.get_absolute_url()).content.decode()
    assert "not measured" in page and "Cannot reach 127.0.0.1:9" in page
    assert page.count('<span class="badge bad">failed</span>') == 3
