"""GET /api/v1/products/{slug}/history/: paginated, filtered, read-only."""

import pytest

from tests.factories import MeasurementFactory, MetricFactory
from tracker.audit.context import acting
from tracker.products import services

pytestmark = pytest.mark.django_db

URL = "/api/v1/products/fraud-score/history/"


def test_lists_events_newest_first_in_the_api_s_shape(alice_api, alice, product):
    metric = MetricFactory(product=product, name="Losses")
    with acting(actor=alice, via="api"):
        services.metric_update(metric=metric, data={"baseline": 400})
    body = alice_api.get(URL).json()
    assert body["count"] == 3
    latest = body["results"][0]
    assert latest == {
        "id": latest["id"],
        "at": latest["at"],
        "actor": "alice",
        "actor_label": "Alice (alice)",
        "via": "api",
        "action": "update",
        "kind": "metric",
        "object_id": metric.pk,
        "object_repr": "Losses",
        "product": "fraud-score",
        "changes": {"baseline": [100.0, 400.0]},
        "html_url": "http://testserver/products/fraud-score/history/"
        f"?kind=metric&object={metric.pk}",
    }
    assert [r["kind"] for r in body["results"]] == ["metric", "metric", "product"]
    assert body["results"][2]["actor"] is None  # written outside any request


def test_filters_by_kind_object_action_and_how(alice_api, product):
    metric = MetricFactory(product=product)
    MeasurementFactory.create_batch(2, metric=metric)
    assert alice_api.get(URL, {"kind": "measurement"}).json()["count"] == 2
    both = alice_api.get(URL, {"kind": "metric", "object": metric.pk}).json()
    assert both["count"] == 3  # the metric and its measurements
    assert alice_api.get(URL, {"action": "delete"}).json()["count"] == 0
    assert alice_api.get(URL, {"via": "command"}).json()["count"] == 4


@pytest.mark.parametrize(
    "params",
    [{"kind": "nope"}, {"object": "x"}, {"object": str(2**64)}, {"via": "fax"}],
)
def test_bad_filters_are_400_with_field_messages(alice_api, product, params):
    response = alice_api.get(URL, params)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == set(params)


def test_read_only_and_people_only(alice_api, ci_api, product, client):
    assert alice_api.post(URL, {}, format="json").status_code == 405
    assert alice_api.delete(URL).status_code == 405
    assert ci_api.get(URL).status_code == 403
    assert client.get(URL).status_code == 401
    assert alice_api.get("/api/v1/products/nope/history/").status_code == 404


def test_outsiders_read_it_like_every_other_product_list(carol_api, product):
    assert carol_api.get(URL).status_code == 200


def test_query_count_does_not_grow(alice_api, product, django_assert_num_queries):
    metric = MetricFactory(product=product)
    MeasurementFactory.create_batch(2, metric=metric)
    alice_api.get(URL)
    # token, product, count, page (with the actors), token's last use
    with django_assert_num_queries(4) as small:
        alice_api.get(URL)
    MeasurementFactory.create_batch(30, metric=metric)
    with django_assert_num_queries(len(small.captured_queries)):
        assert alice_api.get(URL).json()["count"] == 34
