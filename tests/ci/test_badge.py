"""The CI status badge (an HTML-side view, not /api/v1)."""

import pytest
from django.test import Client

from tracker.ci.services import ci_status_report

BADGE = "/products/fraud-score/badge.svg"


def _report(product, state, context="train"):
    ci_status_report(
        product=product,
        sha="abcdef1",
        context=context,
        data={"state": state},
        actor=None,
        token=None,
    )


def test_private_badge_is_404_for_anonymous(product):
    assert Client().get(BADGE).status_code == 404


def test_unknown_product_badge_is_404(db):
    assert Client().get("/products/nope/badge.svg").status_code == 404


def test_public_badge_is_readable_without_login(product):
    product.badge_public = True
    product.save()
    _report(product, "success")
    response = Client().get(BADGE)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "no-cache"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "passing" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no fetches


def test_signed_in_people_see_private_badges(carol_client, product):
    assert carol_client.get(BADGE).status_code == 200


@pytest.mark.parametrize(
    ("states", "word"),
    [
        ([], "no status"),
        (["success"], "passing"),
        (["success", "failure"], "failing"),
        (["running"], "pending"),
        (["error"], "error"),
    ],
)
def test_badge_shows_the_combined_state(alice_client, product, states, word):
    for n, state in enumerate(states):
        _report(product, state, context=f"stage-{n}")
    assert f">{word}<" in alice_client.get(BADGE).content.decode()
