"""Data contracts: a survey source's contract, consumers, and change notices
(bad input, who may post, both products' histories, the ML Test Score test
they evidence)."""

import pytest

from tests.factories import FeatureFactory, ProductFactory
from tracker.audit.models import AuditEvent
from tracker.outcomes.models import Consumer, ContractChange
from tracker.readiness.models import MLTestResult
from tracker.readiness.selectors import ml_test_score

pytestmark = pytest.mark.django_db


def _consumers(product):
    return f"/api/v1/products/{product.slug}/consumers/"


def _changes(product):
    return f"/api/v1/products/{product.slug}/contract-changes/"


@pytest.fixture
def source(product):
    return FeatureFactory(product=product, feature="card_country")


@pytest.fixture
def consumer(product, bob):
    return Consumer.objects.create(
        product=product, name="Chargeback desk", owner=bob, relies_on="score"
    )


def test_consumer_is_added_and_listed(alice_api, product, carol, team):
    downstream = ProductFactory(team=team, slug="chargebacks", name="Chargebacks")
    response = alice_api.post(
        _consumers(product),
        {
            "name": "Chargeback desk",
            "owner": "carol",
            "relies_on": "score, reason codes",
            "consumer_product": "chargebacks",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["owner"] == "carol"
    assert response.json()["consumer_product"] == downstream.slug
    listed = alice_api.get(_consumers(product)).json()["results"]
    assert [c["name"] for c in listed] == ["Chargeback desk"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Desk", "owner": "nobody", "relies_on": "score"}, "owner"),
        ({"name": "Desk", "relies_on": "score"}, "owner"),
        ({"owner": "bob", "relies_on": "score"}, "name"),
        (
            {
                "name": "Desk",
                "owner": "bob",
                "relies_on": "x",
                "consumer_product": "nope",
            },
            "consumer_product",
        ),
    ],
)
def test_bad_consumer_is_a_400_naming_the_field(alice_api, product, body, field):
    response = alice_api.post(_consumers(product), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_duplicate_consumer_name_is_a_400(alice_api, product, consumer):
    body = {"name": "Chargeback desk", "owner": "bob", "relies_on": "score"}
    response = alice_api.post(_consumers(product), body)
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_non_editor_cannot_add_a_consumer(carol_api, product):
    body = {"name": "Desk", "owner": "carol", "relies_on": "score"}
    assert carol_api.post(_consumers(product), body).status_code == 403


def test_contract_is_set_on_a_survey_source(alice_api, product, source, team):
    url = f"/api/v1/products/{product.slug}/survey/{source.pk}/contract/"
    assert alice_api.get(url).status_code == 404
    response = alice_api.put(
        url,
        {
            "owner_team": team.slug,
            "fields_relied_on": "country (ISO alpha-2)",
            "freshness_promised": "1h",
            "semantics": "Country of the issuing bank.",
        },
    )
    assert response.status_code == 200, response.json()
    assert response.json()["freshness_promised"] == "1h"
    assert alice_api.get(url).json()["owner_team"] == team.slug
    bad = alice_api.put(url, {"owner_team": "nope", "fields_relied_on": "x"})
    assert bad.status_code == 400
    assert "owner_team" in bad.json()["error"]["fields"]


def test_ci_token_posts_an_upstream_change(ci_api, product, source):
    response = ci_api.post(
        _changes(product),
        {
            "side": "upstream",
            "source": source.pk,
            "summary": "card_country becomes ISO alpha-3",
            "effective_at": "2026-12-20T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == source.pk


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"side": "sideways", "summary": "x"}, "side"),
        ({"side": "upstream", "summary": "x"}, "source"),
        ({"side": "downstream", "summary": "x"}, "consumer"),
        ({"side": "upstream", "source": 999999, "summary": "x"}, "source"),
        (
            {
                "side": "upstream",
                "source": "SOURCE",
                "consumer": "CONSUMER",
                "summary": "x",
            },
            "consumer",
        ),
        ({"side": "downstream", "consumer": "CONSUMER"}, "summary"),
        (
            {
                "side": "downstream",
                "consumer": "CONSUMER",
                "summary": "x",
                "effective_at": "soon",
            },
            "effective_at",
        ),
    ],
)
def test_bad_change_is_a_400_naming_the_field(
    alice_api, product, source, consumer, body, field
):
    body = {"effective_at": "2026-12-20T00:00:00Z", **body}
    body = {
        key: {"SOURCE": source.pk, "CONSUMER": consumer.pk}.get(value, value)
        if isinstance(value, str)
        else value
        for key, value in body.items()
    }
    response = alice_api.post(_changes(product), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not ContractChange.objects.exists()


def test_another_products_source_is_refused(alice_api, product, team):
    elsewhere = FeatureFactory(product=ProductFactory(team=team))
    body = {
        "side": "upstream",
        "source": elsewhere.pk,
        "summary": "x",
        "effective_at": "2026-12-20T00:00:00Z",
    }
    response = alice_api.post(_changes(product), body)
    assert response.status_code == 400
    assert "source" in response.json()["error"]["fields"]


def test_non_editor_and_outsider(carol_api, product, consumer):
    body = {
        "side": "downstream",
        "consumer": consumer.pk,
        "summary": "x",
        "effective_at": "2026-12-20T00:00:00Z",
    }
    assert carol_api.post(_changes(product), body).status_code == 403
    product.team.visibility = "private"
    product.team.save()
    assert carol_api.post(_changes(product), body).status_code == 404
    assert carol_api.get(_changes(product)).status_code == 404


def test_change_is_on_both_products_histories_and_evidences_the_test(
    alice_api, product, team, bob
):
    downstream = ProductFactory(team=team, slug="chargebacks", name="Chargebacks")
    consumer = Consumer.objects.create(
        product=product,
        name="Chargeback desk",
        owner=bob,
        relies_on="score",
        consumer_product=downstream,
    )
    assert ml_test_score(product).row("monitoring-1").points == 0
    response = alice_api.post(
        _changes(product),
        {
            "side": "downstream",
            "consumer": consumer.pk,
            "summary": "The score moves from 0-100 to 0-1",
            "effective_at": "2026-12-20T00:00:00Z",
        },
    )
    assert response.status_code == 201, response.json()
    # The product's history has the notice; the consumer's product has it too.
    assert AuditEvent.objects.filter(
        product_id=product.pk, object_type="outcomes.contractchange"
    ).exists()
    shared = AuditEvent.objects.get(
        product_id=downstream.pk, object_type="outcomes.contractchangeshared"
    )
    assert "0-100 to 0-1" in shared.object_repr
    # Both products list it among their notices.
    for slug in (product.slug, downstream.slug):
        listed = alice_api.get(f"/api/v1/products/{slug}/contract-changes/").json()
        assert [c["summary"] for c in listed["results"]] == [
            "The score moves from 0-100 to 0-1"
        ]
    history = alice_api.get(f"/api/v1/products/{downstream.slug}/history/").json()
    assert any("0-100 to 0-1" in e["object_repr"] for e in history["results"])
    # The ML Test Score test is evidenced (manual), and a level set by hand wins.
    result = MLTestResult.objects.get(product=product, code="monitoring-1")
    assert result.level == "manual"
    assert "0-100 to 0-1" in result.evidence
    assert ml_test_score(product).row("monitoring-1").points == 0.5


def test_a_higher_level_set_by_hand_is_kept(alice_api, product, consumer):
    MLTestResult.objects.create(
        product=product, code="monitoring-1", level="automated", evidence="Pager"
    )
    alice_api.post(
        _changes(product),
        {
            "side": "downstream",
            "consumer": consumer.pk,
            "summary": "x",
            "effective_at": "2026-12-20T00:00:00Z",
        },
    )
    result = MLTestResult.objects.get(product=product, code="monitoring-1")
    assert (result.level, result.evidence) == ("automated", "Pager")
