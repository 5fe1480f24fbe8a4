"""The postmortems and action-items API under /api/v1/: the contract fields,
writes and their validation (400 with field messages), transitions,
permissions (outsiders 403 on writes), no server errors on junk, and
query-count guards."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import SessionFactory
from tests.postmortems.conftest import make_ready, resolved_incident
from tracker.postmortems.models import ActionItem, Postmortem, Status
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.warnings import warning_accept
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_transition,
    postmortem_update,
)

SECTION_FIELDS = [
    "summary",
    "impact",
    "trigger",
    "detection",
    "resolution",
    "went_well",
    "went_wrong",
    "lucky",
    "lessons",
    "links",
]


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_is_refused(db):
    for url in ("/api/v1/postmortems/", "/api/v1/action-items/"):
        assert APIClient().get(url).status_code in (401, 403)


def test_list_has_the_contract_fields(alice, postmortem, incident):
    postmortem_update(
        postmortem=postmortem, actor=alice, data={"summary": "Blame the data."}
    )
    response = api_as(alice).get("/api/v1/postmortems/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    for field in ("id", "title", "product", "incidents", "status", "html_url"):
        assert field in row
    for field in SECTION_FIELDS:
        assert field in row
    assert row["product"] == "fraud-score"
    assert row["incidents"] == [incident.pk]
    assert row["status"] == "draft"
    assert row["summary"] == "Blame the data."
    assert row["html_url"] == f"http://testserver/postmortems/{postmortem.pk}/"
    [warning] = row["warnings"]
    assert warning["phrase"] == "Blame"
    assert warning["section"] == "summary"
    assert warning["accepted"] is False
    assert "mechanism" in warning["suggestion"]


def test_outsider_can_read(carol, postmortem):
    client = api_as(carol)
    assert client.get("/api/v1/postmortems/").status_code == 200
    assert client.get(f"/api/v1/postmortems/{postmortem.pk}/").status_code == 200


def test_unknown_is_404(alice):
    assert api_as(alice).get("/api/v1/postmortems/999999/").status_code == 404
    assert api_as(alice).get("/api/v1/action-items/999999/").status_code == 404


def test_create(alice, incident):
    response = api_as(alice).post(
        "/api/v1/postmortems/",
        {
            "title": "Drift",
            "product": "fraud-score",
            "incidents": [incident.pk],
            "summary": "Scores drifted after a retraining.",
            "not_applicable": ["lucky", "links"],
            "users_affected": 120,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["not_applicable"] == ["lucky", "links"]
    postmortem = Postmortem.objects.get()
    assert postmortem.lucky_na and postmortem.links_na and not postmortem.summary_na
    assert postmortem.timeline.count() == 4
    assert list(postmortem.authors.all()) == [alice]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"product": "fraud-score", "incidents": [1]}, "title"),
        ({"title": "x", "incidents": [1]}, "product"),
        ({"title": "x", "product": "no-such-product", "incidents": [1]}, "product"),
        ({"title": "x", "product": "fraud-score"}, "incidents"),
        ({"title": "x", "product": "fraud-score", "incidents": []}, "incidents"),
        ({"title": "x", "product": "fraud-score", "incidents": [987654]}, "incidents"),
        ({"title": "x", "product": "fraud-score", "incidents": [2**70]}, "incidents"),
        ({"title": "x", "product": "fraud-score", "incidents": ["a"]}, "incidents"),
        ({"title": "x", "product": "fraud-score", "incidents": "1"}, "incidents"),
        ({"title": "x" * 201, "product": "fraud-score", "incidents": [1]}, "title"),
        (
            {"title": "x", "product": "fraud-score", "incidents": [1], "summary": 5},
            None,
        ),
        (
            {
                "title": "x",
                "product": "fraud-score",
                "incidents": [1],
                "not_applicable": ["nonsense"],
            },
            "not_applicable",
        ),
        (
            {
                "title": "x",
                "product": "fraud-score",
                "incidents": [1],
                "users_affected": -1,
            },
            "users_affected",
        ),
        (
            {
                "title": "x",
                "product": "fraud-score",
                "incidents": [1],
                "reviewers": ["nobody"],
            },
            "reviewers",
        ),
    ],
)
def test_create_validation_errors_are_400_with_field_messages(
    alice, incident, payload, field
):
    payload = {
        **payload,
        "incidents": [incident.pk if i == 1 else i for i in payload["incidents"]]
        if isinstance(payload.get("incidents"), list)
        else payload.get("incidents", None),
    }
    if payload["incidents"] is None:
        del payload["incidents"]
    response = api_as(alice).post("/api/v1/postmortems/", payload, format="json")
    if field is None:  # a number where text is expected is coerced, not an error
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.json()
    assert field in error_fields(response)


def test_create_with_another_products_incident_is_400(alice, incident, team):
    from tests.factories import ProductFactory

    other = ProductFactory(team=team, slug="other")
    response = api_as(alice).post(
        "/api/v1/postmortems/",
        {"title": "x", "product": other.slug, "incidents": [incident.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "another product" in response.json()["error"]["fields"]["incidents"][0]


def test_outsider_cannot_create(carol, incident):
    response = api_as(carol).post(
        "/api/v1/postmortems/",
        {"title": "x", "product": "fraud-score", "incidents": [incident.pk]},
        format="json",
    )
    assert response.status_code == 403
    assert not Postmortem.objects.exists()


def test_patch(alice, bob, postmortem):
    response = api_as(alice).patch(
        f"/api/v1/postmortems/{postmortem.pk}/",
        {"lessons": "Watch inputs.", "reviewers": ["bob"], "not_applicable": ["links"]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["lessons"] == "Watch inputs."
    assert body["reviewers"] == ["bob"]
    assert body["not_applicable"] == ["links"]


def test_patch_cannot_change_status_or_product(alice, postmortem):
    client = api_as(alice)
    url = f"/api/v1/postmortems/{postmortem.pk}/"
    for payload, field in (
        ({"status": "published"}, "status"),
        ({"product": "x"}, "product"),
    ):
        response = client.patch(url, payload, format="json")
        assert response.status_code == 400
        assert field in error_fields(response)


def test_outsider_cannot_patch(carol, postmortem):
    response = api_as(carol).patch(
        f"/api/v1/postmortems/{postmortem.pk}/", {"summary": "Mine now."}, format="json"
    )
    assert response.status_code == 403
    postmortem.refresh_from_db()
    assert postmortem.summary == ""


def test_transitions(alice, bob, postmortem):
    make_ready(postmortem, author=alice, reviewer=bob)
    url = f"/api/v1/postmortems/{postmortem.pk}/transition/"
    as_alice, as_bob = api_as(alice), api_as(bob)
    assert (
        as_alice.post(url, {"status": "in_review"}, format="json").json()["status"]
        == "in_review"
    )
    assert as_alice.post(url, {"status": "reviewed"}, format="json").status_code == 403
    assert as_bob.post(url, {"status": "reviewed"}, format="json").status_code == 200
    back = as_bob.post(url, {"status": "draft"}, format="json")
    assert back.status_code == 400 and "reason" in error_fields(back)
    published = as_alice.post(url, {"status": "published"}, format="json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]


def test_transition_refusals_say_what_is_missing(alice, postmortem):
    url = f"/api/v1/postmortems/{postmortem.pk}/transition/"
    client = api_as(alice)
    refused = client.post(url, {"status": "published"}, format="json")
    assert refused.status_code == 400
    assert "cannot become published" in refused.json()["error"]["fields"]["status"][0]
    assert client.post(url, {"status": "gone"}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    assert (
        client.post(url, "not json", content_type="application/json").status_code == 400
    )


def test_publish_gate_lists_every_missing_item(alice, bob, postmortem):
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"reviewers": [bob], "summary": "What happened."},
    )
    postmortem_transition(postmortem=postmortem, actor=alice, status="in_review")
    postmortem_transition(postmortem=postmortem, actor=bob, status="reviewed")
    response = api_as(alice).post(
        f"/api/v1/postmortems/{postmortem.pk}/transition/",
        {"status": "published"},
        format="json",
    )
    assert response.status_code == 400
    messages = " ".join(response.json()["error"]["fields"]["status"])
    assert "Every section written" in messages
    assert "Action items recorded" in messages


def test_outsider_cannot_transition(carol, postmortem):
    response = api_as(carol).post(
        f"/api/v1/postmortems/{postmortem.pk}/transition/",
        {"status": "in_review"},
        format="json",
    )
    assert response.status_code == 403


def test_filters(alice, bob, postmortem, published):
    client = api_as(alice)
    assert client.get("/api/v1/postmortems/?status=published").json()["count"] == 1
    assert client.get("/api/v1/postmortems/?status=bogus").status_code == 400
    assert client.get("/api/v1/postmortems/?category=bogus").status_code == 400
    assert client.get("/api/v1/postmortems/?product=fraud-score").json()["count"] == 1


# --- Action items -------------------------------------------------------------------


def _item(**overrides):
    return {
        "description": "Alert on null rates",
        "kind": "detect",
        "owner": "bob",
        "due_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "priority": "high",
        **overrides,
    }


def test_action_item_contract_and_create(alice, postmortem):
    response = api_as(alice).post(
        "/api/v1/action-items/", _item(postmortem=postmortem.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in (
        "description",
        "kind",
        "owner",
        "due_date",
        "priority",
        "status",
        "postmortem",
        "session",
        "overdue",
        "html_url",
    ):
        assert field in body
    assert body["owner"] == "bob"
    assert body["status"] == "open"
    assert body["overdue"] is True
    assert body["postmortem"] == postmortem.pk and body["session"] is None
    assert body["product"] == "fraud-score"


def test_action_item_from_a_planning_session(alice, product):
    session = SessionFactory(product=product)
    response = api_as(alice).post(
        "/api/v1/action-items/", _item(session=session.pk), format="json"
    )
    assert response.status_code == 201
    assert response.json()["session"] == session.pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({}, "postmortem"),  # no source
        ({"kind": "fix"}, "kind"),
        ({"owner": "nobody"}, "owner"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"priority": "urgent"}, "priority"),
        ({"status": "closed"}, "status"),
        ({"ticket_url": "javascript:alert(1)"}, "ticket_url"),
        ({"description": ""}, "description"),
        ({"postmortem": 2**80}, "postmortem"),
        ({"postmortem": 999999}, "postmortem"),
        ({"session": "x"}, "session"),
    ],
)
def test_action_item_validation(alice, postmortem, overrides, field):
    payload = _item(**overrides)
    if field not in ("postmortem", "session") or "postmortem" in overrides:
        payload.setdefault("postmortem", postmortem.pk)
    if field == "session":
        payload.pop("postmortem", None)
    response = api_as(alice).post("/api/v1/action-items/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in error_fields(response)


def test_action_item_with_both_sources_is_400(alice, postmortem, product):
    session = SessionFactory(product=product)
    response = api_as(alice).post(
        "/api/v1/action-items/",
        _item(postmortem=postmortem.pk, session=session.pk),
        format="json",
    )
    assert response.status_code == 400


def test_wont_do_needs_a_note(alice, postmortem):
    item = action_item_create(
        actor=alice, postmortem=postmortem, data={"description": "x", "kind": "detect"}
    )
    client = api_as(alice)
    url = f"/api/v1/action-items/{item.pk}/"
    refused = client.patch(url, {"status": "wont_do"}, format="json")
    assert refused.status_code == 400
    assert "status_note" in error_fields(refused)
    done = client.patch(
        url, {"status": "wont_do", "status_note": "Retired."}, format="json"
    )
    assert done.json()["status"] == "wont_do"
    moved = client.patch(url, {"postmortem": 1}, format="json")
    assert moved.status_code == 400


def test_outsider_cannot_write_action_items(carol, postmortem, product, alice):
    client = api_as(carol)
    session = SessionFactory(product=product)
    for source in ({"postmortem": postmortem.pk}, {"session": session.pk}):
        response = client.post("/api/v1/action-items/", _item(**source), format="json")
        assert response.status_code == 403
    item = action_item_create(
        actor=alice, postmortem=postmortem, data={"description": "x", "kind": "detect"}
    )
    response = client.patch(
        f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 403
    assert client.get(f"/api/v1/action-items/{item.pk}/").status_code == 200
    assert not ActionItem.objects.filter(status="done").exists()


def test_action_item_filters(alice, bob, postmortem):
    for days, owner in ((-2, bob), (3, alice)):
        action_item_create(
            actor=alice,
            postmortem=postmortem,
            data={
                "description": f"{days}",
                "kind": "detect",
                "owner": owner,
                "due_date": timezone.localdate() + timedelta(days=days),
            },
        )
    client = api_as(alice)

    def descriptions(query: str) -> list[str]:
        return [
            row["description"]
            for row in client.get(f"/api/v1/action-items/?{query}").json()["results"]
        ]

    assert descriptions("overdue=true") == ["-2"]
    assert descriptions("overdue=false") == ["3"]
    assert descriptions("owner=alice") == ["3"]
    assert descriptions("product=fraud-score") == ["-2", "3"]
    assert descriptions(f"postmortem={postmortem.pk}") == ["-2", "3"]
    assert (
        client.get(
            "/api/v1/action-items/?postmortem=99999999999999999999999"
        ).status_code
        == 400
    )


# --- Query counts -----------------------------------------------------------------


def _many(product, alice, bob, n):
    for i in range(n):
        incident = resolved_incident(product, bob, title=f"Incident {i}")
        postmortem = postmortem_create(
            product=product,
            actor=alice,
            data={"title": f"PM {i}", "incidents": [incident]},
        )
        make_ready(postmortem, author=alice, reviewer=bob)
        postmortem_update(
            postmortem=postmortem, actor=alice, data={"trigger": "Blame."}
        )
        warning_accept(warning=postmortem.warnings.get(), actor=bob)


@pytest.mark.parametrize("url", ["/api/v1/postmortems/", "/api/v1/action-items/"])
def test_api_lists_do_not_grow_with_rows(alice, bob, product, url):
    client = api_as(alice)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _many(product, alice, bob, 2)
    few = count()
    _many(product, alice, bob, 4)
    assert count() == few


def test_published_status_is_in_the_detail(alice, published):
    body = api_as(alice).get(f"/api/v1/postmortems/{published.pk}/").json()
    assert body["status"] == Status.PUBLISHED


JUNK = [
    None,
    [],
    "text",
    {"title": ["a"], "product": {"x": 1}, "incidents": {"a": 1}},
    {"title": "x", "product": 5, "incidents": [None, True]},
    {"summary": ["list"], "authors": "alice", "reviewers": [1, 2]},
    {"review_meeting_at": "yesterday", "review_deadline": "2026-13-45"},
    {"users_affected": 10**30, "error_budget_consumed": "nan"},
    {"error_budget_consumed": "1e309", "no_action_items": "maybe"},
    {"status": None, "reason": ["x"]},
    {"description": "x", "kind": "detect", "postmortem": -1},
    {"description": "x", "kind": "detect", "session": 10**30},
    {"description": "x", "kind": "detect", "postmortem": "1; DROP TABLE"},
    {"owner": 12, "due_date": 20261231, "ticket_url": "ftp://x"},
    {"title": "\x00", "product": "\x00", "incidents": ["\x00"]},
]


@pytest.mark.parametrize("payload", JUNK)
def test_junk_never_causes_a_server_error(alice, published, payload):
    client = api_as(alice)
    item = published.action_items.get()
    for method, url in (
        ("post", "/api/v1/postmortems/"),
        ("patch", f"/api/v1/postmortems/{published.pk}/"),
        ("post", f"/api/v1/postmortems/{published.pk}/transition/"),
        ("post", "/api/v1/action-items/"),
        ("patch", f"/api/v1/action-items/{item.pk}/"),
    ):
        response = getattr(client, method)(url, payload, format="json")
        assert response.status_code < 500, (method, url, response.content)


@pytest.mark.parametrize(
    "query",
    [
        "product=%00",
        "q=%00",
        "owner=%00",
        "status=%00",
        "postmortem=%00",
        "overdue=%00",
    ],
)
def test_nul_in_filters_is_not_a_server_error(alice, published, query):
    client = api_as(alice)
    for url in ("/api/v1/postmortems/", "/api/v1/action-items/"):
        assert client.get(f"{url}?{query}").status_code in (200, 400)


def error_fields(response) -> set[str]:
    """Fields named in the API's error shape ("incidents.0" counts as incidents)."""
    return {key.split(".")[0] for key in response.json()["error"]["fields"]}
