"""Teams, products and the stage timeline over the API."""

import pytest

from tests.factories import ProductFactory, TeamFactory, UserFactory
from tracker.products.models import Product, StageChange


def test_teams_list_members_as_usernames(alice_api, team, other_team):
    response = alice_api.get("/api/v1/teams/")
    assert response.status_code == 200
    teams = {t["slug"]: t for t in response.json()["results"]}
    assert teams["risk"]["members"] == ["alice", "bob"]
    assert teams["risk"]["html_url"] == "http://testserver/accounts/teams/risk/"


def test_team_detail_and_member_filter(alice_api, team, other_team):
    assert alice_api.get("/api/v1/teams/risk/").json()["name"] == "Risk"
    assert alice_api.get("/api/v1/teams/nope/").status_code == 404
    found = alice_api.get("/api/v1/teams/?member=carol").json()["results"]
    assert [t["slug"] for t in found] == ["elsewhere"]


@pytest.mark.parametrize("count", [2, 6])
def test_team_list_queries_do_not_grow(
    count, alice_api, team, django_assert_max_num_queries
):
    for _ in range(count):
        TeamFactory(members=[UserFactory(), UserFactory()])
    with django_assert_max_num_queries(5):
        assert alice_api.get("/api/v1/teams/").status_code == 200


def test_outsider_can_read_products(carol_api, product):
    response = carol_api.get("/api/v1/products/fraud-score/")
    assert response.status_code == 200
    body = response.json()
    assert body["team"] == "risk"
    assert body["pm_owner"] == "alice"
    assert body["html_url"] == "http://testserver/products/fraud-score/"


def test_product_list_filters_and_orders(alice_api, team, other_team, alice):
    ProductFactory(name="B", slug="b", team=team, stage="building")
    ProductFactory(name="A", slug="a", team=team, stage="proposed", ml_owner=alice)
    ProductFactory(name="C", slug="c", team=other_team, stage="building")

    def slugs(query: str) -> list[str]:
        response = alice_api.get(f"/api/v1/products/?{query}")
        assert response.status_code == 200
        return [p["slug"] for p in response.json()["results"]]

    assert slugs("") == ["a", "b", "c"]
    assert slugs("team=risk") == ["a", "b"]
    assert slugs("stage=building") == ["b", "c"]
    assert slugs("owner=alice") == ["a"]
    assert slugs("ordering=-name") == ["c", "b", "a"]
    assert slugs("q=b") == ["b"]


def test_product_list_filters_by_launch_date(alice_api, team):
    ProductFactory(slug="old", team=team, launched_at="2024-01-10T00:00:00Z")
    ProductFactory(slug="new", team=team, launched_at="2025-06-01T00:00:00Z")
    response = alice_api.get("/api/v1/products/?launched_after=2025-01-01")
    assert [p["slug"] for p in response.json()["results"]] == ["new"]


def test_product_list_is_paginated(alice_api, team):
    for n in range(3):
        ProductFactory(slug=f"p{n}", team=team)
    body = alice_api.get("/api/v1/products/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert body["next"].endswith("page=2&page_size=2")


@pytest.mark.parametrize("count", [2, 8])
def test_product_list_queries_do_not_grow(
    count, alice_api, team, django_assert_max_num_queries
):
    for _ in range(count):
        ProductFactory(team=team, pm_owner=UserFactory(), ml_owner=UserFactory())
    with django_assert_max_num_queries(4):
        assert alice_api.get("/api/v1/products/").status_code == 200


def test_team_member_creates_a_product(bob_api, team, alice):
    response = bob_api.post(
        "/api/v1/products/",
        {
            "name": "Churn",
            "slug": "churn",
            "team": "risk",
            "pm_owner": "alice",
            "stage": "discovery",
            "summary": "Who leaves next month",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["stage"] == "discovery" and body["pm_owner"] == "alice"
    product = Product.objects.get(slug="churn")
    assert product.stage_changes.get().to_stage == "discovery"


def test_creating_in_a_team_you_are_not_in_is_403(carol_api, team):
    response = carol_api.post(
        "/api/v1/products/",
        {"name": "Mine", "slug": "mine", "team": "risk"},
        format="json",
    )
    assert response.status_code == 403
    assert not Product.objects.filter(slug="mine").exists()


def test_unknown_team_or_owner_is_400(alice_api, team):
    response = alice_api.post(
        "/api/v1/products/",
        {"name": "X", "slug": "x", "team": "nope", "ml_owner": "nobody"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"team", "ml_owner"}


def test_duplicate_slug_is_400(alice_api, product):
    response = alice_api.post(
        "/api/v1/products/",
        {"name": "Again", "slug": "fraud-score", "team": "risk"},
        format="json",
    )
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]


def test_a_new_product_cannot_start_in_pilot_or_production(alice_api, team):
    for stage in ("pilot", "production"):
        response = alice_api.post(
            "/api/v1/products/",
            {"name": "Live", "slug": "live", "team": "risk", "stage": stage},
            format="json",
        )
        assert response.status_code == 400
        assert "readiness" in response.json()["error"]["fields"]["stage"][0]
    assert not Product.objects.filter(slug="live").exists()


def test_patch_updates_fields(bob_api, product):
    response = bob_api.patch(
        "/api/v1/products/fraud-score/",
        {"summary": "Scores card payments", "ml_owner": "bob"},
        format="json",
    )
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.summary == "Scores card payments"
    assert product.ml_owner.username == "bob"


def test_patch_with_same_slug_is_fine(alice_api, product):
    response = alice_api.patch(
        "/api/v1/products/fraud-score/", {"slug": "fraud-score"}, format="json"
    )
    assert response.status_code == 200


def test_stage_change_goes_through_the_timeline(alice_api, product, alice):
    response = alice_api.patch(
        "/api/v1/products/fraud-score/",
        {"stage": "building", "stage_note": "Discovery done"},
        format="json",
    )
    assert response.status_code == 200
    response = alice_api.patch(
        "/api/v1/products/fraud-score/",
        {
            "stage": "production",
            "stage_note": "Pilot met its KPI",
            "override_readiness": True,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["launched_at"] is not None
    change = StageChange.objects.get(product=product, to_stage="production")
    assert change.note == "Pilot met its KPI" and change.changed_by == alice
    timeline = alice_api.get("/api/v1/products/fraud-score/stage-changes/").json()
    assert [c["to_stage"] for c in timeline["results"]] == ["building", "production"]


def test_outsider_cannot_patch(carol_api, product):
    response = carol_api.patch(
        "/api/v1/products/fraud-score/", {"summary": "mine now"}, format="json"
    )
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.summary == ""


def test_moving_a_product_to_a_team_you_are_not_in_is_403(alice_api, product, carol):
    TeamFactory(slug="theirs", members=[carol])
    response = alice_api.patch(
        "/api/v1/products/fraud-score/", {"team": "theirs"}, format="json"
    )
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.team.slug == "risk"


def test_owner_outside_the_team_may_edit(product, carol):
    """Owners may edit even when not in the team (user_can_edit_product)."""
    from tests.conftest import bearer
    from tracker.accounts.services import token_create

    product.eng_owner = carol
    product.save()
    client = bearer(token_create(user=carol, name="x")[1])
    response = client.patch(
        "/api/v1/products/fraud-score/", {"summary": "Owned"}, format="json"
    )
    assert response.status_code == 200
