"""Labels agree with the rules behind them: the survey's "complete" is the
readiness item's rule, "aligned" says what it means, the ML Test Score carries
its scale, and the stage override is an exceptional, reasoned action."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import FeatureFactory, ProductFactory
from tests.readiness.test_readiness import items, rated
from tracker.products import selectors as product_selectors
from tracker.readiness import services
from tracker.readiness.models import GateOverride

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_api(alice, team):
    client = APIClient()
    client.force_authenticate(alice)
    return client


# --- The survey's "complete" is readiness's rule -----------------------------------


def _survey(product, case: str) -> None:
    if case == "empty":
        return
    rated(FeatureFactory(product=product))
    if case == "unrated":
        FeatureFactory(product=product)
    elif case == "not in production":
        rated(FeatureFactory(product=product, available_in_production="partial"))
    elif case == "availability unknown":
        rated(FeatureFactory(product=product, available_in_production="unknown"))


CASES = {
    "empty": "no features yet",
    "unrated": "1 of 2 rated",
    "not in production": "1 not in production",
    "availability unknown": "1 of 2 rated",
    "complete": "",
}


@pytest.mark.parametrize("case", CASES)
def test_the_survey_badge_and_the_readiness_item_agree(product, alice_client, case):
    _survey(product, case)
    status = product_selectors.survey_status(list(product.survey.all()))
    assert status.complete is items(product)["survey"].passed
    assert status.complete is (case == "complete")
    assert status.missing == CASES[case]
    html = alice_client.get(f"/products/{product.slug}/survey/").content.decode()
    survey_card = html[html.index("<h1>Production-data survey</h1>") :][:1200]
    if case == "complete":
        assert ">complete</span>" in survey_card
    elif case != "empty":
        assert f">{CASES[case]}</span>" in survey_card
        assert ">complete</span>" not in survey_card


# --- "Aligned" says what it means ---------------------------------------------------


def test_the_owners_badge_says_what_aligned_means(team, alice, bob, carol, client):
    three = ProductFactory(team=team, pm_owner=alice, ml_owner=bob, eng_owner=carol)
    one = ProductFactory(team=team, pm_owner=alice, ml_owner=alice, eng_owner=bob)
    shared = ProductFactory(
        team=team,
        pm_owner=alice,
        ml_owner=alice,
        eng_owner=bob,
        shared_ownership_accepted=True,
    )
    missing = ProductFactory(team=team, pm_owner=alice, ml_owner=None, eng_owner=None)
    client.force_login(alice)
    for product, words, style in (
        (three, "three different owners", "good"),
        (one, "one person in several roles", "bad"),
        (shared, "shared roles, accepted", "good"),
        (missing, "1 of 3 owners set", "bad"),
    ):
        html = client.get(product.get_absolute_url()).content.decode()
        assert (
            f'<span class="badge {style}" title="Aligned owners: PM / business' in html
        )
        assert f">{words}</span>" in html, words
        assert ">aligned<" not in html and ">not aligned<" not in html


# --- The ML Test Score with its scale ----------------------------------------------


def test_the_ml_test_score_is_shown_out_of_seven(product, alice_client, alice_api):
    html = alice_client.get(product.get_absolute_url()).content.decode()
    assert "ML Test Score <strong>0 / 7</strong>" in html
    readiness = reverse("readiness:detail", args=[product.slug])
    html = alice_client.get(readiness).content.decode()
    assert "ML Test Score 0 / 7." in html and "<strong>0 / 7</strong>" in html
    score = alice_api.get(f"/api/v1/products/{product.slug}/ml-test-score/").json()
    assert (score["score"], score["out_of"]) == (0.0, 7)
    summary = alice_api.get(f"/api/v1/products/{product.slug}/readiness/").json()
    assert summary["ml_test_score"]["out_of"] == 7


# --- The stage override: a separate, reasoned, exceptional action -------------------


def test_an_override_without_a_reason_is_refused(product, alice):
    with pytest.raises(ValidationError) as refused:
        services.product_change_stage_gated(
            product=product, stage="pilot", actor=alice, override=True, note="  "
        )
    assert "stage_note" in refused.value.message_dict
    product.refresh_from_db()
    assert product.stage == "proposed" and not GateOverride.objects.exists()


def test_the_api_asks_for_the_overrides_reason(alice_api, product):
    response = alice_api.patch(
        f"/api/v1/products/{product.slug}/",
        {"stage": "pilot", "override_readiness": True},
        format="json",
    )
    assert response.status_code == 400
    assert "Say why it moves on" in response.json()["error"]["fields"]["stage_note"][0]
    product.refresh_from_db()
    assert product.stage == "proposed"


def test_the_override_page_is_a_separate_danger_control_with_a_required_reason(
    alice_client, product, alice
):
    path = reverse("products:stage", args=[product.slug])
    page = alice_client.post(path, {"stage": "production"})
    assert page.status_code == 409
    html = page.content.decode()
    zone = html[html.index('class="card danger-zone"') :]
    assert "Exceptional: this moves" in zone
    assert (
        'class="btn btn-danger"' in zone and "Override and move to production" in zone
    )
    assert '<textarea name="note" id="id_override_note"' in zone and "required" in zone
    refused = alice_client.post(path, {"stage": "production", "override": "1"})
    assert refused.status_code == 400
    assert "Say why it moves on" in refused.content.decode()
    product.refresh_from_db()
    assert product.stage == "proposed"
    reason = "The pilot met its KPI; the SLA is being written."
    moved = alice_client.post(
        path, {"stage": "production", "override": "1", "note": reason}
    )
    assert moved.status_code == 302
    override = GateOverride.objects.get()
    assert override.stage_change.note == reason and override.overridden_by == alice


def test_a_ready_product_moves_without_a_reason(product, alice):
    services.product_change_stage_gated(product=product, stage="building", actor=alice)
    product.refresh_from_db()
    assert product.stage == "building"


def test_the_product_page_says_pilot_and_production_check_readiness(
    alice_client, product
):
    html = alice_client.get(product.get_absolute_url()).content.decode()
    assert "moving on with failing items is a separate, recorded override" in html
