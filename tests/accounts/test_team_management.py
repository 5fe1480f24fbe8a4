"""Teams managed in the app: staff create teams; staff and a team's leads add
and remove members and set their roles, in the browser and over the API;
everyone else gets 403 (404 for a private team they cannot see)."""

import pytest
from rest_framework.test import APIClient

from tests.factories import TeamFactory, UserFactory
from tracker.accounts.models import Membership, Role, Team, Visibility
from tracker.accounts.services import team_member_set, token_create


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", is_staff=True)


def _api(user) -> APIClient:
    api = APIClient()
    _, raw = token_create(user=user, name="test")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def _roles(team_slug: str) -> dict[str, str]:
    rows = Membership.objects.filter(team__slug=team_slug)
    return dict(rows.values_list("user__username", "role"))


# --- API ------------------------------------------------------------------------------


def test_staff_create_a_team_over_the_api(sam):
    response = _api(sam).post(
        "/api/v1/teams/",
        {"name": "Search", "slug": "search", "visibility": "private"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "search"
    assert Team.objects.get(slug="search").visibility == Visibility.PRIVATE


def test_others_may_not_create_teams(alice, team):
    response = _api(alice).post(
        "/api/v1/teams/", {"name": "Mine", "slug": "mine"}, format="json"
    )
    assert response.status_code == 403
    assert not Team.objects.filter(slug="mine").exists()


def test_a_duplicate_slug_is_a_400_with_the_field(sam, team):
    response = _api(sam).post(
        "/api/v1/teams/", {"name": "Other", "slug": "risk"}, format="json"
    )
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]


def test_a_lead_adds_a_member_then_changes_the_role(team, alice, carol):
    team_member_set(team=team, user=alice, role=Role.LEAD)
    api = _api(alice)
    url = "/api/v1/teams/risk/members/"
    added = api.post(url, {"username": "carol", "role": "member"}, format="json")
    assert added.status_code == 201
    assert added.json() == {
        "username": "carol",
        "role": "member",
        "joined_at": added.json()["joined_at"],
    }
    changed = api.post(url, {"username": "carol", "role": "lead"}, format="json")
    assert changed.status_code == 200
    assert _roles("risk") == {"alice": "lead", "bob": "member", "carol": "lead"}
    listed = api.get(url).json()["results"]
    assert [m["username"] for m in listed] == ["alice", "carol", "bob"]


def test_a_lead_removes_a_member(team, alice):
    team_member_set(team=team, user=alice, role=Role.LEAD)
    api = _api(alice)
    assert api.delete("/api/v1/teams/risk/members/bob/").status_code == 204
    assert _roles("risk") == {"alice": "lead"}
    assert api.delete("/api/v1/teams/risk/members/bob/").status_code == 404


def test_a_plain_member_and_an_outsider_get_403(team, bob, carol, other_team):
    for person in (bob, carol):
        api = _api(person)
        body = {"username": person.username, "role": "lead"}
        assert (
            api.post("/api/v1/teams/risk/members/", body, format="json").status_code
            == 403
        )
        assert api.delete("/api/v1/teams/risk/members/alice/").status_code == 403
    assert _roles("risk") == {"alice": "member", "bob": "member"}


def test_a_private_team_is_404_to_an_outsider(alice, carol, other_team):
    TeamFactory(slug="lab", members=[alice], visibility=Visibility.PRIVATE)
    api = _api(carol)
    body = {"username": "carol", "role": "lead"}
    assert (
        api.post("/api/v1/teams/lab/members/", body, format="json").status_code == 404
    )
    assert api.get("/api/v1/teams/lab/members/").status_code == 404
    assert api.delete("/api/v1/teams/lab/members/alice/").status_code == 404


def test_bad_member_input_is_a_400_with_fields(team, sam):
    api = _api(sam)
    response = api.post(
        "/api/v1/teams/risk/members/",
        {"username": "nobody", "role": "boss", "extra": 1},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"username", "role", "extra"}


# --- Pages ----------------------------------------------------------------------------


def test_staff_create_a_team_in_the_browser(sam, client):
    client.force_login(sam)
    assert b"New team" in client.get("/accounts/teams/").content
    response = client.post(
        "/accounts/teams/new/",
        {"name": "Search", "slug": "search", "visibility": "organisation"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/teams/search/"


def test_the_create_page_is_403_to_others(alice_client, team):
    assert b"New team" not in alice_client.get("/accounts/teams/").content
    assert alice_client.get("/accounts/teams/new/").status_code == 403
    response = alice_client.post("/accounts/teams/new/", {"name": "x", "slug": "x"})
    assert response.status_code == 403


def test_a_bad_team_is_a_form_error(sam, client, team):
    client.force_login(sam)
    response = client.post("/accounts/teams/new/", {"name": "", "slug": "risk"})
    assert response.status_code == 400
    assert not Team.objects.filter(name="").exists()


def test_a_lead_manages_members_on_the_team_page(team, alice, carol, client):
    team_member_set(team=team, user=alice, role=Role.LEAD)
    client.force_login(alice)
    page = client.get("/accounts/teams/risk/").content.decode()
    assert "Add member or set role" in page and "Lead" in page
    url = "/accounts/teams/risk/members/"
    assert client.post(url, {"username": "carol", "role": "lead"}).status_code == 302
    assert client.post(url + "bob/remove/").status_code == 302
    assert _roles("risk") == {"alice": "lead", "carol": "lead"}
    bad = client.post(url, {"username": "ghost", "role": "member"})
    assert bad.status_code == 400 and b"No active person" in bad.content


def test_members_and_outsiders_cannot_manage_members_on_the_page(
    team, bob_client, carol
):
    page = bob_client.get("/accounts/teams/risk/").content.decode()
    assert "Add member or set role" not in page
    url = "/accounts/teams/risk/members/"
    assert bob_client.post(url, {"username": "carol"}).status_code == 403
    assert bob_client.post(url + "alice/remove/").status_code == 403
    assert _roles("risk") == {"alice": "member", "bob": "member"}
