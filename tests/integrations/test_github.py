"""GitHub issues for action items: "create issue" calls a local server that
answers `POST /repos/{owner}/{repo}/issues` as GitHub's REST API documents; the
`issues` webhook (GitHub's documented payloads, signed X-Hub-Signature-256)
closes and reopens the linked item, recorded in the audit trail as done
through that connection; a bad signature is 401 and changes nothing."""

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import IncidentFactory, TeamFactory
from tests.integrations.receiver import receiver
from tracker.accounts.services import token_create
from tracker.audit.models import AuditEvent
from tracker.integrations.models import IssueLink
from tracker.integrations.services import github
from tracker.integrations.services.connections import connection_create
from tracker.postmortems.models import ActionItem
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "github"
SECRET = "It's a Secret to Everybody"


@pytest.fixture
def github_api():
    """Answers as GitHub's REST API: 201 with the new issue."""

    def answer(seen):
        if seen.method == "POST" and seen.path == "/repos/acme/fraud-score/issues":
            return 201, {
                "id": 1801234567,
                "number": 42,
                "html_url": "https://github.com/acme/fraud-score/issues/42",
                "state": "open",
                "title": seen.json()["title"],
            }
        return 404, {"message": "Not Found"}

    with receiver() as box:
        box.answer = answer
        yield box


@pytest.fixture
def item(product, alice):
    incident = IncidentFactory(product=product)
    postmortem = postmortem_create(
        product=product,
        actor=alice,
        data={"title": "Drift review", "incidents": [incident]},
    )
    return action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={
            "description": "Add a drift alert on the score distribution",
            "kind": "detect",
            "owner": alice,
            "due_date": timezone.localdate() + timedelta(days=7),
        },
    )


def _connect(team, url):
    return connection_create(
        actor=None,
        data={
            "name": "acme/fraud-score",
            "kind": "github",
            "team": team,
            "base_url": url,
            "repository": "acme/fraud-score",
            "token": "ghp_test",
            "webhook_secret": SECRET,
        },
    )


def _linked(item, connection, number=42) -> IssueLink:
    return IssueLink.objects.create(
        action_item=item, connection=connection, number=number
    )


def test_create_issue_opens_it_through_the_rest_api_and_links_it(
    github_api, product, item, alice
):
    connection = _connect(product.team, github_api.url)
    link = github.issue_request(item=item, connection=connection, actor=alice)
    link = github.issue_create(link_id=link.pk)
    assert (link.number, link.html_url) == (
        42,
        "https://github.com/acme/fraud-score/issues/42",
    )
    [seen] = github_api.requests
    assert seen.headers["Authorization"] == "Bearer ghp_test"
    assert seen.headers["Accept"] == "application/vnd.github+json"
    assert seen.headers["X-GitHub-Api-Version"] == "2022-11-28"
    body = seen.json()
    assert body["title"] == "Add a drift alert on the score distribution"
    assert item.get_absolute_url() in body["body"]
    item.refresh_from_db()
    assert item.ticket_url == link.html_url
    assert github.issue_create(link_id=link.pk) is None  # once


def test_a_github_error_is_kept_on_the_link_and_the_connection(product, item, alice):
    with receiver() as box:
        box.statuses = [401]
        connection = _connect(product.team, box.url)
        link = github.issue_request(item=item, connection=connection, actor=alice)
        link = github.issue_create(link_id=link.pk)
    assert link.number is None and "answered 401" in link.error
    connection.refresh_from_db()
    assert connection.last_error == link.error and connection.last_error_at


def test_another_teams_repository_is_refused(item, alice):
    other = _connect(TeamFactory(), "http://127.0.0.1:9")
    with pytest.raises(Exception, match="GitHub connection of the product's team"):
        github.issue_request(item=item, connection=other, actor=alice)


def _deliver(client, connection, name: str, secret: str = SECRET, event="issues"):
    body = (FIXTURES / f"{name}.json").read_bytes()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        f"/hooks/github/{connection.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_GITHUB_DELIVERY="72d3162e-cc78-11e3-81ab-4c9367dc0958",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def test_closing_and_reopening_the_issue_closes_and_reopens_the_item(
    client, product, item
):
    connection = _connect(product.team, "http://127.0.0.1:9")
    _linked(item, connection)
    response = _deliver(client, connection, "issues-closed")
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.status == "done" and item.closed_at is not None
    event = AuditEvent.objects.filter(
        object_type="postmortems.actionitem", object_id=item.pk, action="update"
    ).latest("pk")
    assert event.via == "hook"
    assert event.actor_id is None
    assert event.actor_label == "GitHub connection “acme/fraud-score”"
    assert _deliver(client, connection, "issues-reopened").status_code == 200
    item.refresh_from_db()
    assert item.status == "open" and item.closed_at is None


def test_a_bad_or_missing_signature_is_401_and_changes_nothing(client, product, item):
    connection = _connect(product.team, "http://127.0.0.1:9")
    _linked(item, connection)
    assert _deliver(client, connection, "issues-closed", "wrong").status_code == 401
    body = (FIXTURES / "issues-closed.json").read_bytes()
    unsigned = client.post(
        f"/hooks/github/{connection.pk}/",
        data=body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="issues",
    )
    assert unsigned.status_code == 401
    item.refresh_from_db()
    assert item.status == "open"


def test_ping_unlinked_issues_and_other_events_change_nothing(client, product, item):
    connection = _connect(product.team, "http://127.0.0.1:9")
    assert _deliver(client, connection, "issues-closed", event="ping").json() == {
        "result": "pong"
    }
    unlinked = _deliver(client, connection, "issues-closed")
    assert unlinked.status_code == 200 and "ignored" in unlinked.json()["result"]
    other = _deliver(client, connection, "issues-closed", event="push")
    assert other.status_code == 202
    assert ActionItem.objects.get().status == "open"
    assert client.get(f"/hooks/github/{connection.pk}/").status_code == 405
    assert (
        client.post(
            "/hooks/github/987654/", data=b"{}", content_type="application/json"
        ).status_code
        == 404
    )


def _api(user) -> APIClient:
    api = APIClient()
    _, raw = token_create(user=user, name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_api_creates_an_issue_in_a_task(
    github_api, product, item, alice, django_capture_on_commit_callbacks
):
    connection = _connect(product.team, github_api.url)
    api = _api(alice)
    url = f"/api/v1/action-items/{item.pk}/github-issue/"
    assert api.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {"integration": connection.pk}, format="json")
    assert response.status_code == 202
    assert response.json()["state"] == "pending"
    shown = api.get(url).json()
    assert (shown["state"], shown["number"]) == ("opened", 42)
    again = api.post(url, {"integration": connection.pk}, format="json")
    assert again.status_code == 400


def test_api_refuses_outsiders_and_unknown_connections(
    product, item, alice, carol, other_team
):
    connection = _connect(product.team, "http://127.0.0.1:9")
    url = f"/api/v1/action-items/{item.pk}/github-issue/"
    outsider = _api(carol).post(url, {"integration": connection.pk}, format="json")
    assert outsider.status_code == 403
    unknown = _api(alice).post(url, {"integration": 987654}, format="json")
    assert unknown.status_code == 400
    assert not IssueLink.objects.exists()


def test_the_page_creates_an_issue(
    github_api, product, item, alice_client, django_capture_on_commit_callbacks
):
    connection = _connect(product.team, github_api.url)
    url = f"/integrations/action-items/{item.pk}/issue/"
    assert b"Create issue" in alice_client.get(url).content
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, {"connection": connection.pk})
    assert response.status_code == 302
    page = alice_client.get(url).content.decode()
    assert "#42" in page and "https://github.com/acme/fraud-score/issues/42" in page
