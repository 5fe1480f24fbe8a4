"""Connections edited outside the admin (a page and PATCH in the API), their
secrets write-only, and connections and team memberships in the audit trail."""

import pytest
from rest_framework.test import APIClient

from tracker.accounts.models import Membership, Role
from tracker.accounts.services import team_member_remove, team_member_set, token_create
from tracker.audit.models import AuditEvent
from tracker.integrations.models import Connection
from tracker.integrations.services.connections import connection_create

TOKEN = "ghp_first_token_value"
SECRET = "first-webhook-secret"


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t')[1]}")
    return api


@pytest.fixture
def connection(team, alice):
    return connection_create(
        actor=alice,
        data={
            "name": "Fraud repo",
            "kind": "github",
            "team": team,
            "base_url": "https://api.github.com/",
            "repository": "acme/fraud-score",
            "token": TOKEN,
            "webhook_secret": SECRET,
        },
    )


def _events(obj):
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=obj.pk
    ).order_by("id")


# --- The API --------------------------------------------------------------------------


def test_patch_changes_a_connection_and_never_shows_its_secrets(connection, alice_api):
    url = f"/api/v1/connections/{connection.pk}/"
    response = alice_api.patch(
        url, {"name": "Fraud issues", "token": "ghp_second"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Fraud issues"
    assert body["has_token"] is True and body["has_webhook_secret"] is True
    assert TOKEN not in response.content.decode()
    assert "ghp_second" not in response.content.decode()
    assert "token" not in body and "webhook_secret" not in body
    connection.refresh_from_db()
    assert connection.token == "ghp_second"
    assert connection.webhook_secret == SECRET  # absent: kept
    cleared = alice_api.patch(url, {"webhook_secret": ""}, format="json")
    assert cleared.json()["has_webhook_secret"] is False


def test_patch_bad_input_is_a_400_naming_the_field(connection, alice_api):
    url = f"/api/v1/connections/{connection.pk}/"
    bad_url = alice_api.patch(url, {"base_url": "not a url"}, format="json")
    assert bad_url.status_code == 400
    assert "base_url" in bad_url.json()["error"]["fields"]
    bad_repo = alice_api.patch(url, {"repository": "no-slash"}, format="json")
    assert bad_repo.status_code == 400
    assert bad_repo.json()["error"]["fields"]
    kind = alice_api.patch(url, {"kind": "prometheus"}, format="json")
    assert kind.status_code == 400 and "kind" in kind.json()["error"]["fields"]
    connection.refresh_from_db()
    assert (connection.kind, connection.repository) == ("github", "acme/fraud-score")


def test_patch_by_an_outsider_is_404_and_by_a_reader_403(
    connection, carol, other_team, team
):
    url = f"/api/v1/connections/{connection.pk}/"
    team.visibility = "private"
    team.save()
    assert _api(carol).patch(url, {"name": "x"}, format="json").status_code == 404
    team.visibility = "organisation"
    team.save()
    assert _api(carol).patch(url, {"name": "x"}, format="json").status_code == 403
    connection.refresh_from_db()
    assert connection.name == "Fraud repo"


# --- The page -------------------------------------------------------------------------


def test_the_edit_page_keeps_blank_secrets_and_replaces_typed_ones(
    connection, alice_client
):
    url = f"/integrations/connections/{connection.pk}/edit/"
    page = alice_client.get(url).content.decode()
    assert TOKEN not in page and SECRET not in page
    assert 'value="Fraud repo"' in page
    response = alice_client.post(
        url,
        {
            "name": "Fraud issues",
            "base_url": "https://github.example.org/api/v3",
            "repository": "acme/fraud",
            "token": "",
            "webhook_secret": "new-secret",
        },
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.name == "Fraud issues"
    assert connection.token == TOKEN
    assert connection.webhook_secret == "new-secret"
    detail = alice_client.get(connection.get_absolute_url()).content.decode()
    assert "new-secret" not in detail and TOKEN not in detail
    assert "Edit" in detail


def test_the_edit_page_removes_a_token_when_asked(connection, alice_client):
    url = f"/integrations/connections/{connection.pk}/edit/"
    data = {
        "name": "Fraud repo",
        "base_url": "https://api.github.com",
        "repository": "acme/fraud-score",
        "remove_token": "on",
    }
    assert alice_client.post(url, data).status_code == 302
    connection.refresh_from_db()
    assert connection.token == "" and connection.webhook_secret == SECRET


def test_bad_input_on_the_edit_page_is_a_form_error(connection, alice_client):
    url = f"/integrations/connections/{connection.pk}/edit/"
    response = alice_client.post(
        url, {"name": "", "base_url": "https://api.github.com", "repository": "x"}
    )
    assert response.status_code == 400
    assert b"This field is required" in response.content
    response = alice_client.post(
        url, {"name": "Repo", "base_url": "https://api.github.com", "repository": "x"}
    )
    assert response.status_code == 400
    assert b"owner/name" in response.content
    connection.refresh_from_db()
    assert connection.name == "Fraud repo"


def test_the_edit_page_is_403_to_a_reader(connection, carol_client):
    url = f"/integrations/connections/{connection.pk}/edit/"
    assert carol_client.get(url).status_code == 403
    page = carol_client.get(connection.get_absolute_url()).content.decode()
    assert "/edit/" not in page


# --- The audit trail ------------------------------------------------------------------


def test_connection_changes_are_audited_without_their_secrets(
    connection, alice_api, alice_client, alice
):
    url = f"/api/v1/connections/{connection.pk}/"
    alice_api.patch(url, {"name": "Fraud issues", "token": "ghp_new"}, format="json")
    alice_api.patch(url, {"token": "ghp_newer"}, format="json")
    alice_api.patch(url, {"token": ""}, format="json")
    created, renamed, rotated, removed = _events(connection)
    assert created.action == "create"
    assert created.parent_type == "accounts.team"
    assert created.parent_id == connection.team_id and created.product_id is None
    assert created.changes["token"] == [None, "(set)"]
    # A change of the secret alone is recorded, without the secret.
    assert renamed.changes == {
        "name": ["Fraud repo", "Fraud issues"],
        "token": ["(set)", "(set)"],
    }
    assert (renamed.via, renamed.actor_id) == ("api", alice.pk)
    assert rotated.changes == {"token": ["(set)", "(set)"]}
    assert removed.changes == {"token": ["(set)", None]}
    stored = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    for secret in (TOKEN, SECRET, "ghp_new", "ghp_newer"):
        assert secret not in stored
    page = alice_client.get(connection.get_absolute_url()).content.decode()
    assert "Fraud issues" in page and "History" in page
    connection_id = connection.pk
    connection.delete()
    assert _events(Connection(pk=connection_id)).last().action == "delete"


def test_team_memberships_are_audited(team, carol, alice_api, alice):
    team_member_set(team=team, user=alice, role=Role.LEAD)
    alice_api.post(
        "/api/v1/teams/risk/members/",
        {"username": "carol", "role": "member"},
        format="json",
    )
    team_member_set(team=team, user=carol, role=Role.LEAD)
    membership = Membership.objects.get(team=team, user=carol)
    team_member_remove(team=team, user=carol)
    added, promoted, removed = _events(membership)
    assert added.action == "create" and added.via == "api"
    assert added.actor_id == alice.pk
    assert added.changes["user"] == [None, {"id": carol.pk, "label": "Carol (carol)"}]
    assert added.changes["role"] == [None, "member"]
    assert (added.parent_type, added.parent_id) == ("accounts.team", team.pk)
    assert promoted.changes == {"role": ["member", "lead"]}
    assert removed.action == "delete"
