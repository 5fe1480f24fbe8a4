"""The organisation-wide action items page (/action-items/): what it lists,
its filters and orders kept in the URL, and the bulk changes of the rows
ticked, with the refused ones named and every change in the audit trail."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ProductFactory, SessionFactory, TeamFactory, UserFactory
from tracker.accounts.models import Visibility
from tracker.audit.models import AuditEvent
from tracker.postmortems.models import ActionItem, ActionStatus
from tracker.postmortems.services.action_items import action_item_create

TODAY = timezone.localdate()


def _item(product, actor, description, **data):
    return action_item_create(
        actor=actor,
        data={"description": description, "kind": "detect", **data},
        session=SessionFactory(product=product),
    )


@pytest.fixture
def items(product, alice, bob, carol, other_team):
    """Two on alice's product, one on carol's team's product, one closed, one
    on a private team's product nobody here reads."""
    elsewhere = ProductFactory(name="Churn", slug="churn", team=other_team)
    hidden_team = TeamFactory(name="Ops", slug="ops", visibility=Visibility.PRIVATE)
    hidden = ProductFactory(name="Hidden", slug="hidden", team=hidden_team)
    return {
        "late": _item(
            product, alice, "Alert on drift", owner=bob, due_date=TODAY - timedelta(3)
        ),
        "soon": _item(
            product,
            alice,
            "Runbook for rollbacks",
            owner=alice,
            due_date=TODAY + timedelta(5),
            kind="process",
        ),
        "theirs": _item(
            elsewhere, carol, "Backfill labels", owner=carol, due_date=TODAY
        ),
        "closed": action_item_create(
            actor=alice,
            data={
                "description": "Old thing",
                "kind": "detect",
                "status": ActionStatus.DONE,
            },
            session=SessionFactory(product=product),
        ),
        "hidden": _item(hidden, alice, "Secret work"),
    }


def _rows(client, **params) -> list[str]:
    response = client.get("/action-items/", params)
    assert response.status_code == 200
    return [item.description for item in response.context["page"].object_list]


def test_it_lists_the_open_items_the_reader_may_see(items, alice_client):
    assert _rows(alice_client) == [
        "Alert on drift",
        "Backfill labels",
        "Runbook for rollbacks",
    ]
    assert "Old thing" in _rows(alice_client, status="any")
    assert _rows(alice_client, status="done") == ["Old thing"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"team": "risk"}, ["Alert on drift", "Runbook for rollbacks"]),
        ({"team": "elsewhere"}, ["Backfill labels"]),
        ({"product": "churn"}, ["Backfill labels"]),
        ({"product": "hidden"}, []),
        ({"owner": "bob"}, ["Alert on drift"]),
        ({"kind": "process"}, ["Runbook for rollbacks"]),
        ({"overdue": "true"}, ["Alert on drift"]),
        ({"overdue": "false"}, ["Backfill labels", "Runbook for rollbacks"]),
        ({"q": "runbook"}, ["Runbook for rollbacks"]),
    ],
)
def test_filters(items, alice_client, params, expected):
    assert _rows(alice_client, **params) == expected


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("due", ["Alert on drift", "Backfill labels", "Runbook for rollbacks"]),
        ("-due", ["Runbook for rollbacks", "Backfill labels", "Alert on drift"]),
        ("product", ["Backfill labels", "Alert on drift", "Runbook for rollbacks"]),
        ("owner", ["Runbook for rollbacks", "Alert on drift", "Backfill labels"]),
        ("-owner", ["Backfill labels", "Alert on drift", "Runbook for rollbacks"]),
        ("created", ["Alert on drift", "Runbook for rollbacks", "Backfill labels"]),
        ("-created", ["Backfill labels", "Runbook for rollbacks", "Alert on drift"]),
    ],
)
def test_orders(items, alice_client, ordering, expected):
    assert _rows(alice_client, ordering=ordering) == expected


def test_filters_stay_in_the_page_s_links_and_forms(items, alice_client):
    page = alice_client.get(
        "/action-items/", {"team": "risk", "ordering": "owner"}
    ).content.decode()
    assert 'action="/action-items/?team=risk&amp;ordering=owner"' in page
    assert '<option value="owner" selected>' in page


def test_a_bad_filter_says_so(items, alice_client):
    response = alice_client.get("/action-items/", {"ordering": "colour"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def _bulk(client, ids, query="", **data):
    return client.post(f"/action-items/{query}", {"item": ids, **data}, follow=True)


def test_reassigning_changes_what_the_reader_may_change_and_names_the_rest(
    items, alice_client, alice, carol
):
    dave = UserFactory(username="dave")
    ids = [items["late"].pk, items["theirs"].pk, items["hidden"].pk, 10**12]
    response = _bulk(alice_client, ids, "?team=risk", action="reassign", owner="dave")
    assert response.redirect_chain == [("/action-items/?team=risk", 302)]
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "Reassigned 1 action item."
    assert messages[1] == (
        f"Not changed: #{items['theirs'].pk} “Backfill labels”. Only its owner and "
        "the people who may edit its postmortem or planning session can change it."
    )
    assert messages[2:] == [
        f"Not changed: #{items['hidden'].pk}. No such action item.",
        f"Not changed: #{10**12}. No such action item.",
    ]
    owners = dict(ActionItem.objects.values_list("description", "owner__username"))
    assert owners["Alert on drift"] == "dave"
    assert owners["Backfill labels"] == "carol"
    event = AuditEvent.objects.filter(object_id=items["late"].pk).first()
    assert (event.action, event.actor_id, event.via) == ("update", alice.pk, "web")
    assert event.changes["owner"][1]["id"] == dave.pk
    assert not AuditEvent.objects.filter(
        object_id=items["theirs"].pk, action="update"
    ).exists()


def test_setting_the_due_date(items, alice_client):
    ids = [items["late"].pk, items["soon"].pk]
    response = _bulk(alice_client, ids, action="due_date", due_date="2031-01-31")
    assert "New due date for 2 action items." in response.content.decode()
    dates = ActionItem.objects.filter(pk__in=ids).values_list("due_date", flat=True)
    assert set(dates) == {date(2031, 1, 31)}
    assert AuditEvent.objects.filter(object_id__in=ids, action="update").count() == 2


def test_closing_as_won_t_do_needs_a_reason(items, alice_client):
    ids = [items["late"].pk, items["closed"].pk]
    refused = _bulk(alice_client, ids, action="wont_do", reason=" ")
    assert refused.status_code == 400
    assert "Say why they won&#x27;t be done." in refused.content.decode()
    assert ActionItem.objects.get(pk=items["late"].pk).status == ActionStatus.OPEN

    response = _bulk(alice_client, ids, action="wont_do", reason="Superseded.")
    text = response.content.decode()
    assert "Closed as won&#x27;t do 1 action item." in text
    assert "It is closed (Done): reopen it first." in text
    late = ActionItem.objects.get(pk=items["late"].pk)
    assert (late.status, late.status_note) == (ActionStatus.WONT_DO, "Superseded.")
    assert late.closed_at is not None
    event = AuditEvent.objects.filter(object_id=late.pk).first()
    assert event.changes["status"] == ["open", "wont_do"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "reassign", "owner": "nobody"}, "No active user nobody."),
        ({"action": "reassign"}, "Say who takes them over."),
        ({"action": "due_date", "due_date": "31/31/2031"}, "Enter a valid date."),
        ({"action": "due_date"}, "Choose the new due date."),
        ({"action": "explode"}, "Select a valid choice."),
        ({"action": "reassign", "owner": "bob", "item": []}, "Tick the action items"),
        ({"action": "reassign", "owner": "bob", "item": ["x"]}, "by their ids"),
        ({"action": "reassign", "owner": "bob", "item": ["9" * 30]}, "by their ids"),
    ],
)
def test_bad_input_is_a_form_error(items, alice_client, data, message):
    response = alice_client.post("/action-items/", {"item": [items["late"].pk], **data})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_outsiders_change_nothing(items, carol_client):
    response = _bulk(
        carol_client, [items["late"].pk], action="due_date", due_date="2031-01-31"
    )
    assert "Only its owner" in response.content.decode()
    assert ActionItem.objects.get(pk=items["late"].pk).due_date != date(2031, 1, 31)


def _statements(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/action-items/", {"ordering": "product"}).status_code == 200
    return len(queries)


def test_the_number_of_statements_does_not_grow_with_the_rows(
    items, product, alice, alice_client
):
    small = _statements(alice_client)
    for n in range(30):
        _item(ProductFactory(team=product.team), alice, f"More {n}", owner=alice)
    assert _statements(alice_client) == small


def test_the_api_list_filters_by_team_and_orders(items, alice_api):
    answer = alice_api.get(
        "/api/v1/action-items/", {"team": "risk", "status": "open", "ordering": "-due"}
    )
    assert answer.status_code == 200
    assert [row["description"] for row in answer.json()["results"]] == [
        "Runbook for rollbacks",
        "Alert on drift",
    ]
    bad = alice_api.get("/api/v1/action-items/", {"ordering": "colour"})
    assert bad.status_code == 400
    assert "ordering" in bad.json()["error"]["fields"]
    unknown = alice_api.get("/api/v1/action-items/", {"team": "ops"})
    assert unknown.status_code == 400
