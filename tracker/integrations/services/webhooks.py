"""Outgoing webhooks: subscriptions, the delivery rows and sending them.

Exactly once per event and subscription: a sweep turns each occurrence
(services.events) into one `WebhookDelivery` per matching subscription; the
unique (subscription, key) constraint makes finding it again a no-op. A worker
claims a row with a conditional UPDATE (a lease) before sending, so two workers
never send the same row; a failed attempt is retried with exponential back-off
until MAX_ATTEMPTS, and every attempt's outcome stays on the row (the delivery
log). A worker that dies after sending and before recording sends again when
the lease ends: the generic format's delivery id lets receivers drop a repeat.
"""

import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from tracker.accounts.models import Team, User
from tracker.integrations import outside
from tracker.integrations.models import (
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookKind,
    WebhookSubscription,
)
from tracker.integrations.services import events as found
from tracker.lib.services import model_create
from tracker.products.models import Product

MAX_ATTEMPTS = 6
BACKOFF = timedelta(seconds=30)  # then 1, 2, 4 and 8 minutes
LEASE = timedelta(minutes=2)  # longer than a send's timeouts
SUBSCRIBABLE = [e for e in Event.values if e != Event.TEST]
SIGNATURE_HEADER, TIMESTAMP_HEADER = "X-Tracker-Signature", "X-Tracker-Timestamp"
EVENT_HEADER, DELIVERY_HEADER = "X-Tracker-Event", "X-Tracker-Delivery"


# --- Subscriptions --------------------------------------------------------------------


@sensitive_variables("secret")
def webhook_subscribe(
    *,
    actor: User | None,
    data: dict[str, Any],
    team: Team | None = None,
    product: Product | None = None,
) -> tuple[WebhookSubscription, str]:
    """Subscribe a URL to events of a team's products or of one product. The
    caller checked the right to. Returns the subscription and, for the generic
    kind, its signing secret (shown once; "" for chat)."""
    events = list(dict.fromkeys(data.get("events") or SUBSCRIBABLE))
    unknown = sorted(set(events) - set(SUBSCRIBABLE))
    if unknown:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    url = data["url"]
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValidationError({"url": "Enter an http:// or https:// URL."})
    secret = ""
    if data["kind"] == WebhookKind.GENERIC:
        secret = f"whsec_{secrets.token_urlsafe(32)}"
    subscription = model_create(
        WebhookSubscription,
        team=team,
        product=product,
        name=data["name"],
        kind=data["kind"],
        url=url,
        url_hint=urlsplit(url).netloc[:200],
        secret=secret,
        events=events,
        created_by=actor,
        created_at=timezone.now(),
    )
    return subscription, secret


def webhook_deactivate(*, subscription: WebhookSubscription) -> None:
    """Stop sending; the subscription and its log stay."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)


def webhook_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A test message, sent like any event (the page's "send test" button)."""
    now = timezone.now()
    target = subscription.product or subscription.team
    document = {
        "id": f"test-{secrets.token_hex(8)}",
        "event": Event.TEST,
        "occurred_at": now.isoformat(),
        "title": f"Test message for “{subscription.name}”",
        "url": "",
        "product": None,
        "team": getattr(target, "slug", None),
        "data": {},
    }
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event=Event.TEST,
        key=document["id"],
        payload=document,
        created_at=now,
        next_attempt_at=now,
    )


# --- Finding what to send ------------------------------------------------------------


def webhook_deliveries_create(*, now: datetime) -> int:
    """One delivery row per occurrence and matching active subscription; rows
    that exist already are left alone. Returns how many rows were tried (new
    or not): a set-based pass of a few queries."""
    subscriptions = list(
        WebhookSubscription.objects.filter(active=True).values(
            "pk", "team_id", "product_id", "events", "created_at"
        )
    )
    if not subscriptions:
        return 0
    occurrences = found.occurrences(now=now)
    products = found.products_of(occurrences)
    rows = []
    for occurrence in occurrences:
        product = products[occurrence.product_id]
        for sub in subscriptions:
            if _matches(sub, occurrence, product):
                rows.append(
                    WebhookDelivery(
                        subscription_id=sub["pk"],
                        event=occurrence.event,
                        key=occurrence.key,
                        payload=found.document(occurrence, product),
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _matches(sub: dict, occurrence: found.Occurrence, product: dict) -> bool:
    """The subscription wants this event, about its product or its team's, and
    the event happened after it subscribed (no backlog on subscribing)."""
    about = (
        sub["product_id"] == product["pk"]
        if sub["product_id"]
        else sub["team_id"] == product["team_id"]
    )
    return (
        about
        and occurrence.event in sub["events"]
        and occurrence.at >= sub["created_at"]
    )


def webhook_deliveries_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come and that nobody holds."""
    rows = WebhookDelivery.objects.filter(
        _unclaimed(now), status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    return list(rows.values_list("pk", flat=True)[:limit])


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


# --- Sending ------------------------------------------------------------------------


def webhook_delivery_send(*, delivery_id: int) -> WebhookDelivery | None:
    """Claim the delivery and send it once; None when it was not due or another
    worker holds it."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        _unclaimed(now),
        pk=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
    ).update(claimed_until=now + LEASE)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(
        pk=delivery_id
    )
    body, headers = render(delivery)
    try:
        answer = outside.call(
            "POST", delivery.subscription.url, headers=headers, body=body
        )
    except outside.OutsideError as exc:
        return _failed(delivery, exc)
    _record(
        delivery,
        status=DeliveryStatus.SENT,
        response_code=answer.status,
        error="",
        sent_at=timezone.now(),
    )
    return delivery


def _failed(delivery: WebhookDelivery, exc: outside.OutsideError) -> WebhookDelivery:
    attempts = delivery.attempts + 1
    gave_up = attempts >= MAX_ATTEMPTS
    _record(
        delivery,
        status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
        response_code=exc.status,
        error=str(exc),
        next_attempt_at=timezone.now() + BACKOFF * 2 ** (attempts - 1),
    )
    return delivery


def _record(delivery: WebhookDelivery, **values: Any) -> None:
    values = {**values, "claimed_until": None}
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=F("attempts") + 1, **values
    )
    delivery.refresh_from_db()


# --- Formats --------------------------------------------------------------------------


def render(delivery: WebhookDelivery) -> tuple[bytes, dict[str, str]]:
    """The body and headers for the subscription's kind."""
    subscription, document = delivery.subscription, delivery.payload
    headers = {"Content-Type": "application/json"}
    if subscription.kind == WebhookKind.GENERIC:
        body = json.dumps(document, separators=(",", ":")).encode()
        headers |= {EVENT_HEADER: delivery.event, DELIVERY_HEADER: str(delivery.pk)}
        headers |= signature_headers(subscription.secret, body)
        return body, headers
    text = _text(subscription.kind, document)
    if subscription.kind == WebhookKind.TEAMS:
        message = _adaptive_card(text)
    else:  # Slack and Mattermost incoming webhooks take the same shape
        message = {"text": text}
    return json.dumps(message).encode(), headers


@sensitive_variables("secret")
def signature_headers(secret: str, body: bytes, now: float | None = None) -> dict:
    """HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret."""
    timestamp = str(int(now if now is not None else time.time()))
    signed = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: f"sha256={digest}"}


def _text(kind: str, document: dict) -> str:
    """One line of chat: the event, the linked title and the product."""
    label = Event(document["event"]).label
    title, url = document["title"], document["url"]
    if url:
        title = f"<{url}|{title}>" if kind == WebhookKind.SLACK else f"[{title}]({url})"
    product = document["product"]
    where = f" ({product['name']})" if product else ""
    return (
        f"*{label}*: {title}{where}"
        if kind == WebhookKind.SLACK
        else (f"**{label}**: {title}{where}")
    )


def _adaptive_card(text: str) -> dict:
    """The message a Teams "post to a channel when a webhook request is
    received" workflow expects: an Adaptive Card attachment."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                },
            }
        ],
    }
