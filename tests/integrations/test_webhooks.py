"""Outgoing webhooks against a real local HTTP receiver: each format's payload,
the generic format's signature, retries with back-off, giving up, exactly once
per event and subscription (also through a real Redis broker and worker), and
the API and pages with their permissions."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta

import pytest
import time_machine
from celery.signals import task_postrun
from django.utils import timezone
from rest_framework.test import APIClient

from tests.broker import WAIT_SECONDS, through_broker, worker
from tests.factories import ProductFactory, TeamFactory
from tests.integrations.receiver import receiver
from tracker.accounts.models import Visibility
from tracker.accounts.services import token_create
from tracker.incidents.services.incidents import incident_open, incident_update
from tracker.integrations import tasks
from tracker.integrations.models import DeliveryStatus, WebhookDelivery
from tracker.integrations.services import webhooks
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create


@pytest.fixture
def hook():
    with receiver() as box:
        yield box


def _subscribe(product, kind="slack", url="http://127.0.0.1:9/x", **data):
    subscription, secret = webhooks.webhook_subscribe(
        actor=None,
        product=product,
        data={"name": f"{kind} hook", "kind": kind, "url": url, **data},
    )
    return subscription, secret


def _open_incident(product, actor, title="Score drift"):
    return incident_open(
        actor=actor,
        data={"product": product, "title": title, "severity": "sev2", "kind": "drift"},
    )


def _send_all() -> list[WebhookDelivery]:
    webhooks.webhook_deliveries_create(now=timezone.now())
    sent = []
    for pk in webhooks.webhook_deliveries_due(now=timezone.now()):
        sent.append(webhooks.webhook_delivery_send(delivery_id=pk))
    return sent


# --- Formats ----------------------------------------------------------------------


def test_slack_gets_its_incoming_webhook_message(hook, product, alice):
    _subscribe(product, "slack", hook.url + "/services/T0/B0/x")
    incident = _open_incident(product, alice)
    [delivery] = _send_all()
    assert delivery.status == DeliveryStatus.SENT and delivery.response_code == 200
    [seen] = hook.requests
    assert seen.path == "/services/T0/B0/x"
    assert seen.headers["Content-Type"] == "application/json"
    text = seen.json()["text"]
    assert text.startswith("*Incident opened*: <http://")
    assert (
        f"/incidents/{incident.pk}/|#{incident.pk} Score drift> (Fraud score)" in text
    )


def test_mattermost_gets_markdown_links(hook, product, alice):
    _subscribe(product, "mattermost", hook.url)
    incident = _open_incident(product, alice)
    _send_all()
    text = hook.requests[0].json()["text"]
    assert text.startswith(f"**Incident opened**: [#{incident.pk} Score drift](http")


def test_teams_gets_an_adaptive_card(hook, product, alice):
    _subscribe(product, "teams", hook.url)
    _open_incident(product, alice)
    _send_all()
    message = hook.requests[0].json()
    [attachment] = message["attachments"]
    assert message["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert "Incident opened" in card["body"][0]["text"]


def test_generic_json_is_signed_over_timestamp_and_body(hook, product, alice):
    _, secret = _subscribe(product, "generic", hook.url)
    assert secret.startswith("whsec_")
    incident = _open_incident(product, alice)
    [delivery] = _send_all()
    seen = hook.requests[0]
    timestamp = seen.headers["X-Tracker-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + seen.body, hashlib.sha256
    ).hexdigest()
    assert seen.headers["X-Tracker-Signature"] == f"sha256={expected}"
    assert seen.headers["X-Tracker-Event"] == "incident.opened"
    assert seen.headers["X-Tracker-Delivery"] == str(delivery.pk)
    document = seen.json()
    assert document["event"] == "incident.opened"
    assert document["product"] == {"slug": "fraud-score", "name": "Fraud score"}
    assert document["team"] == "risk"
    assert document["data"] == {
        "incident": incident.pk,
        "severity": "sev2",
        "status": "open",
    }


def test_acknowledged_and_resolved_incidents_are_events(hook, product, alice):
    _subscribe(product, "generic", hook.url)
    incident = _open_incident(product, alice)
    incident_update(incident=incident, actor=alice, data={"status": "acknowledged"})
    incident_update(incident=incident, actor=alice, data={"status": "resolved"})
    _send_all()
    events = [seen.json()["event"] for seen in hook.requests]
    assert events == ["incident.opened", "incident.acknowledged", "incident.resolved"]


def test_only_the_chosen_events_and_products_are_sent(hook, product, alice):
    _subscribe(product, "slack", hook.url, events=["incident.resolved"])
    _open_incident(product, alice)
    _open_incident(ProductFactory(team=product.team), alice)
    assert _send_all() == []
    assert hook.requests == []


def test_a_team_subscription_hears_of_its_products_only(hook, team, alice):
    webhooks.webhook_subscribe(
        actor=alice,
        team=team,
        data={"name": "team", "kind": "slack", "url": hook.url},
    )
    _open_incident(ProductFactory(team=team, name="Mine"), alice, "ours")
    _open_incident(ProductFactory(team=TeamFactory(), name="Theirs"), alice, "theirs")
    _send_all()
    assert len(hook.requests) == 1 and "ours" in hook.requests[0].json()["text"]


def test_events_before_subscribing_are_not_sent(hook, product, alice):
    _open_incident(product, alice)
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        _subscribe(product, "slack", hook.url)
        assert _send_all() == []


# --- Retries and exactly once -----------------------------------------------------


def test_a_failure_is_retried_with_back_off_and_logged(hook, product, alice):
    hook.statuses = [500, 503]
    _subscribe(product, "slack", hook.url)
    _open_incident(product, alice)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        [delivery] = _send_all()
        assert (delivery.status, delivery.attempts, delivery.response_code) == (
            "pending",
            1,
            500,
        )
        assert delivery.next_attempt_at == start + timedelta(seconds=30)
        assert "500" in delivery.error
        assert _send_all() == []  # not due yet
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        [delivery] = _send_all()
        assert delivery.attempts == 2 and delivery.response_code == 503
        assert delivery.next_attempt_at == start + timedelta(seconds=91)
    with time_machine.travel(start + timedelta(seconds=92), tick=False):
        [delivery] = _send_all()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        "sent",
        3,
        200,
    )
    assert delivery.error == ""
    assert len(hook.requests) == 3


def test_it_gives_up_after_the_last_attempt(product, alice):
    _subscribe(product, "slack", "http://127.0.0.1:9/unreachable")
    _open_incident(product, alice)
    now = timezone.now()
    for _ in range(webhooks.MAX_ATTEMPTS):
        now += timedelta(hours=1)
        with time_machine.travel(now, tick=False):
            _send_all()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert "Cannot reach 127.0.0.1:9" in delivery.error
    with time_machine.travel(now + timedelta(days=1), tick=False):
        assert webhooks.webhook_deliveries_due(now=timezone.now()) == []


def test_finding_an_event_again_adds_nothing_and_sends_nothing(hook, product, alice):
    _subscribe(product, "slack", hook.url)
    _open_incident(product, alice)
    _send_all()
    _send_all()
    webhooks.webhook_deliveries_create(now=timezone.now())
    assert WebhookDelivery.objects.count() == 1
    assert len(hook.requests) == 1


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(hook, product, alice):
    _subscribe(product, "slack", hook.url)
    _open_incident(product, alice)
    webhooks.webhook_deliveries_create(now=timezone.now())
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert webhooks.webhook_delivery_send(delivery_id=delivery.pk) is None
    assert hook.requests == []


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_through_a_real_broker_and_worker_each_event_goes_once(
    broker, hook, product, alice
):
    _subscribe(product, "generic", hook.url)
    _subscribe(product, "slack", hook.url)
    _open_incident(product, alice)
    delivered = threading.Event()
    done = []

    def count(sender=None, retval=None, **kwargs):
        if sender.name == tasks.webhook_deliver.name and retval == "sent":
            done.append(retval)
            if len(done) == 2:
                delivered.set()

    task_postrun.connect(count, weak=False)
    try:
        with worker(broker):
            through_broker(tasks.webhooks_sweep)
            assert delivered.wait(timeout=WAIT_SECONDS), "nothing was delivered"
            # Sweeping again (and queueing a send of a sent row) sends nothing.
            through_broker(tasks.webhooks_sweep)
            pk = WebhookDelivery.objects.first().pk
            through_broker(tasks.webhook_deliver, pk)
    finally:
        task_postrun.disconnect(count)
    assert len(hook.requests) == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"sent"}


# --- API and pages ----------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    _, raw = token_create(user=user, name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def test_api_subscribes_lists_and_logs(
    hook, product, alice, django_capture_on_commit_callbacks
):
    api = _api(alice)
    response = api.post(
        "/api/v1/webhooks/",
        {
            "name": "ops",
            "kind": "generic",
            "url": hook.url + "/in",
            "product": "fraud-score",
            "events": ["incident.opened"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and "url" not in body
    assert body["url_host"] == hook.url.removeprefix("http://")
    listed = api.get("/api/v1/webhooks/").json()["results"]
    assert [w["name"] for w in listed] == ["ops"] and "secret" not in listed[0]
    with django_capture_on_commit_callbacks(execute=True):
        test = api.post(f"/api/v1/webhooks/{body['id']}/test/")
    assert test.status_code == 202
    log = api.get(f"/api/v1/webhooks/{body['id']}/deliveries/").json()["results"]
    assert [(d["event"], d["status"], d["response_code"]) for d in log] == [
        ("test", "sent", 200)
    ]
    assert hook.requests[0].headers["X-Tracker-Event"] == "test"


def test_api_refuses_bad_input_with_fields(product, alice):
    response = _api(alice).post(
        "/api/v1/webhooks/",
        {"name": "", "kind": "irc", "url": "ftp://x", "events": ["nope"]},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"name", "kind", "url"} <= set(fields)
    both = _api(alice).post(
        "/api/v1/webhooks/",
        {"name": "n", "kind": "slack", "url": "https://x.test/"},
        format="json",
    )
    assert both.status_code == 400 and "team" in both.json()["error"]["fields"]


def test_outsiders_may_not_subscribe_or_test(product, carol, other_team, alice):
    subscription, _ = _subscribe(product, "slack")
    api = _api(carol)
    body = {"name": "n", "kind": "slack", "url": "https://x.test/", "team": "risk"}
    assert api.post("/api/v1/webhooks/", body, format="json").status_code == 403
    assert api.post(f"/api/v1/webhooks/{subscription.pk}/test/").status_code == 403
    assert api.delete(f"/api/v1/webhooks/{subscription.pk}/").status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_a_private_teams_webhook_does_not_exist_for_outsiders(alice, carol, other_team):
    lab = TeamFactory(slug="lab", members=[alice], visibility=Visibility.PRIVATE)
    subscription, _ = _subscribe(ProductFactory(team=lab), "slack")
    api = _api(carol)
    assert api.get(f"/api/v1/webhooks/{subscription.pk}/").status_code == 404
    assert api.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/").status_code == 404
    assert api.get("/api/v1/webhooks/").json()["results"] == []


def test_the_send_test_button_posts_a_test_message(
    hook, product, alice_client, django_capture_on_commit_callbacks
):
    subscription, _ = _subscribe(product, "slack", hook.url)
    page = alice_client.get(subscription.get_absolute_url()).content.decode()
    assert "Send test" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/integrations/webhooks/{subscription.pk}/test/")
    assert response.status_code == 302
    assert json.loads(hook.requests[0].body)["text"].startswith("*Test message*")
    page = alice_client.get(subscription.get_absolute_url()).content.decode()
    assert "Sent" in page and "Delivery log" in page


def test_the_webhook_page_form_subscribes_and_shows_the_secret(
    hook, product, alice_client
):
    response = alice_client.post(
        "/integrations/webhooks/new/",
        {
            "name": "ops",
            "kind": "generic",
            "url": hook.url,
            "product": "fraud-score",
            "events": ["incident.opened", "postmortem.published"],
        },
    )
    assert response.status_code == 201
    assert b"whsec_" in response.content
    bad = alice_client.post(
        "/integrations/webhooks/new/", {"name": "x", "kind": "slack"}
    )
    assert bad.status_code == 400


def test_published_postmortems_and_overdue_follow_ups_are_events(hook, product, alice):
    from tracker.postmortems.models import ActionItem, Postmortem
    from tracker.products.models import SuccessMetric
    from tracker.products.services import metric_create

    now = timezone.now()
    # Subscribed before any of it fell due (events before subscribing are not sent).
    with time_machine.travel(now - timedelta(days=2)):
        _subscribe(product, "generic", hook.url)
    incident = _open_incident(product, alice)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "Drift", "incidents": [incident]}
    )
    item = action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={"description": "Alert on drift", "kind": "detect", "owner": alice},
    )
    metric = metric_create(product=product, data={"name": "Losses", "owner": alice})
    # The rows as the workflow leaves them: published, due yesterday, due an hour ago.
    Postmortem.objects.filter(pk=postmortem.pk).update(
        status="published", published_at=now
    )
    ActionItem.objects.filter(pk=item.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    SuccessMetric.objects.filter(pk=metric.pk).update(
        next_due_at=now - timedelta(hours=1)
    )
    with time_machine.travel(now + timedelta(seconds=1)):
        _send_all()
    sent = {seen.json()["event"]: seen.json() for seen in hook.requests}
    assert set(sent) == {
        "incident.opened",
        "postmortem.published",
        "action_item.overdue",
        "kpi_followup.overdue",
    }
    assert sent["action_item.overdue"]["data"]["owner"] == "alice"
    assert sent["kpi_followup.overdue"]["url"].endswith(metric.get_absolute_url())
    assert sent["postmortem.published"]["title"] == "Drift"


def test_the_lists_take_the_same_queries_whatever_their_length(
    product, alice, alice_client, django_assert_max_num_queries
):
    api = _api(alice)
    _subscribe(product, "slack")
    api.get("/api/v1/webhooks/")
    with django_assert_max_num_queries(20) as one:
        api.get("/api/v1/webhooks/")
        alice_client.get("/integrations/")
    for n in range(5):
        _subscribe(product, "teams", url=f"https://chat.test/{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        api.get("/api/v1/webhooks/")
        alice_client.get("/integrations/")


# --- Follow-up policy violations --------------------------------------------------


def _late_action_item(product, alice, hours_late=1):
    """An open `detect` item of a postmortem of a resolved SEV2 incident, one
    hour past the 1-day limit the SEV2 policy is given here."""
    from tracker.postmortems.models import ActionItem, FollowUpPolicy

    FollowUpPolicy.objects.filter(severity="sev2", risk_tier="").update(
        detect_days=1, postmortem_business_days=None
    )
    incident = _open_incident(product, alice)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "Drift", "incidents": [incident]}
    )
    item = action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={"description": "Alert on drift", "kind": "detect", "owner": alice},
    )
    created = timezone.now() - timedelta(days=1, hours=hours_late)
    ActionItem.objects.filter(pk=item.pk).update(created_at=created)
    return item


def test_a_policy_violation_is_an_event_sent_once(hook, product, alice):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        _subscribe(product, "generic", hook.url, events=["policy.violation"])
    item = _late_action_item(product, alice)
    _send_all()
    _send_all()  # found again: nothing new
    [seen] = hook.requests
    body = seen.json()
    assert body["event"] == "policy.violation"
    assert body["id"].startswith(f"policy-action_item-{item.pk}-late-")
    assert body["title"] == "Alert on drift: late against the SEV2 follow-up policy"
    assert body["data"]["object_type"] == "action_item"
    assert body["data"]["object_id"] == item.pk
    assert body["data"]["severity"] == "sev2"
    assert body["url"].endswith(f"#action-{item.pk}")


def test_old_violations_are_not_sent_to_a_new_subscription(hook, product, alice):
    _late_action_item(product, alice, hours_late=3)
    _subscribe(product, "generic", hook.url, events=["policy.violation"])
    _send_all()
    assert hook.requests == []


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_through_a_real_worker_a_violation_goes_once_per_subscription(
    broker, hook, product, alice
):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        _subscribe(product, "generic", hook.url, events=["policy.violation"])
        _subscribe(product, "slack", hook.url, events=["policy.violation"])
    _late_action_item(product, alice)
    delivered = threading.Event()
    done = []

    def count(sender=None, retval=None, **kwargs):
        if sender.name == tasks.webhook_deliver.name and retval == "sent":
            done.append(retval)
            if len(done) == 2:
                delivered.set()

    task_postrun.connect(count, weak=False)
    try:
        with worker(broker):
            through_broker(tasks.webhooks_sweep)
            assert delivered.wait(timeout=WAIT_SECONDS), "nothing was delivered"
            through_broker(tasks.webhooks_sweep)
            through_broker(tasks.webhook_deliver, WebhookDelivery.objects.first().pk)
    finally:
        task_postrun.disconnect(count)
    assert len(hook.requests) == 2
    deliveries = WebhookDelivery.objects.values_list("event", "status")
    assert sorted(deliveries) == [("policy.violation", "sent")] * 2
    slack = next(r for r in hook.requests if "text" in r.json())
    assert "late against the SEV2 follow-up policy" in slack.json()["text"]
