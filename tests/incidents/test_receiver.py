"""The webhook receiver over HTTP: authentication, limits, and that every refused
delivery writes nothing but the record of its refusal, and never answers 500."""

import json
import time

import pytest
from django.test import Client

from tests.incidents.conftest import deliver, load_payload, make_integration, outcome
from tracker.incidents.models import (
    AlertDelivery,
    AlertIntegration,
    Incident,
    TimelineEntry,
)
from tracker.incidents.signing import signature_for


def _counts():
    return (
        Incident.objects.count(),
        TimelineEntry.objects.count(),
        AlertDelivery.objects.exclude(state="refused").count(),
    )


@pytest.fixture
def nothing_written(db):
    """Assert the test's deliveries wrote nothing but their refusals' records."""
    before = _counts()
    yield
    assert _counts() == before


def test_bearer_secret_accepts_at_once_and_the_task_ingests(am, product):
    response = deliver(am, load_payload("alertmanager-v4-firing.json"))
    assert response.status_code == 202
    body = response.json()
    assert body["alerts"] == 1
    assert body["delivery"] == AlertDelivery.objects.get().pk
    assert outcome(response)["opened"] == 1
    am.refresh_from_db()
    assert am.last_delivery_at is not None


def test_accepted_delivery_waits_pending_until_its_task_runs(am, product):
    """The answer comes before any alert is applied: the request stores one row."""
    body = json.dumps(load_payload("alertmanager-v4-firing.json")).encode()
    response = Client().post(
        f"/hooks/alerts/{am.pk}/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {am.secret}"},
    )  # in the test's transaction: the task queued on commit never runs
    assert response.status_code == 202
    delivery = AlertDelivery.objects.get(pk=response.json()["delivery"])
    assert (delivery.state, delivery.opened) == ("pending", 0)
    assert not Incident.objects.exists()


def test_refusals_are_recorded_with_the_reason_and_no_strangers_bytes(am, product):
    deliver(am, load_payload("alertmanager-v4-firing.json"), secret="wrong")
    deliver(am, b"{not json")
    wrong, malformed = AlertDelivery.objects.order_by("id")
    assert (wrong.state, wrong.http_status) == ("refused", 401)
    assert wrong.reason == "The bearer secret is wrong."
    assert wrong.body == ""  # the sender did not authenticate
    assert (malformed.state, malformed.http_status) == ("refused", 400)
    assert "not valid JSON" in malformed.reason
    assert malformed.body == "{not json"  # it did: kept to debug the sender


def test_no_session_or_csrf_token_needed(am, product, client):
    # The helper posts with enforce_csrf_checks=True and no cookie.
    assert deliver(am, load_payload("alertmanager-v4-firing.json")).status_code == 202


@pytest.mark.usefixtures("nothing_written")
def test_wrong_secret_is_401(am):
    response = deliver(am, load_payload("alertmanager-v4-firing.json"), secret="nope")
    assert response.status_code == 401
    assert response.json() == {"error": "The bearer secret is wrong."}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.usefixtures("nothing_written")
def test_another_integrations_secret_is_401(am, alice):
    other = make_integration(alice, kind="grafana")
    response = deliver(
        am, load_payload("alertmanager-v4-firing.json"), secret=other.secret
    )
    assert response.status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_missing_authorization_is_401(am):
    response = deliver(am, load_payload("alertmanager-v4-firing.json"), secret="")
    assert response.status_code == 401
    assert "Bearer" in response.json()["error"]


@pytest.mark.usefixtures("nothing_written")
def test_basic_auth_is_not_a_bearer_secret(am):
    response = deliver(
        am,
        load_payload("alertmanager-v4-firing.json"),
        secret="",
        Authorization=f"Basic {am.secret}",
    )
    assert response.status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_unknown_integration_is_404(am):
    am.pk += 1000
    response = deliver(am, load_payload("alertmanager-v4-firing.json"))
    assert response.status_code == 404


@pytest.mark.usefixtures("nothing_written")
def test_revoked_integration_is_refused(am, alice):
    from tracker.incidents.services.incidents import integration_revoke

    integration_revoke(integration=am, actor=alice)
    response = deliver(am, load_payload("alertmanager-v4-firing.json"))
    assert response.status_code == 404


@pytest.mark.usefixtures("nothing_written")
def test_get_is_405(am, client):
    response = client.get(f"/hooks/alerts/{am.pk}/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


# --- Size -------------------------------------------------------------------------


@pytest.mark.usefixtures("nothing_written")
def test_body_over_the_limit_is_413_before_reading(am, settings):
    settings.ALERT_WEBHOOK_MAX_BYTES = 2048
    payload = load_payload("alertmanager-v4-firing.json")
    payload["alerts"][0]["annotations"]["description"] = "x" * 4096
    response = deliver(am, payload)
    assert response.status_code == 413
    assert "2048 bytes" in response.json()["error"]


@pytest.mark.usefixtures("nothing_written")
def test_too_large_is_413_even_with_a_wrong_secret(am, settings):
    # Size is checked first: an oversized body is never read, whoever sends it.
    settings.ALERT_WEBHOOK_MAX_BYTES = 1024
    response = deliver(am, b"{" + b" " * 2000 + b"}", secret="nope")
    assert response.status_code == 413


@pytest.mark.usefixtures("nothing_written")
def test_junk_content_length_is_400_not_500(am, client):
    response = client.post(
        f"/hooks/alerts/{am.pk}/",
        data=b'{"version": "4", "alerts": []}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {am.secret}"},
        CONTENT_LENGTH="lots",  # Django reads no body for a junk length
    )
    assert response.status_code == 400
    assert "empty" in response.json()["error"]


def test_default_limit_is_one_mebibyte(settings):
    assert settings.ALERT_WEBHOOK_MAX_BYTES == 1024 * 1024


# --- Malformed bodies -------------------------------------------------------------


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"<xml/>", "not valid JSON"),
        (b'"just a string"', "JSON object"),
        (b'{"version": "4", "alerts": {"a": 1}}', "must be a list"),
    ],
)
def test_malformed_body_is_400_with_a_reason(am, body, reason):
    response = deliver(am, body)
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_one_bad_alert_is_rejected_alone(am, product):
    payload = load_payload("alertmanager-v4-group-truncated.json")
    payload["alerts"][2]["startsAt"] = "not a time"
    response = deliver(am, payload)
    done = outcome(response)
    assert done["alerts"] == len(payload["alerts"])
    assert done["rejected"] == 1
    assert done["opened"] == len(payload["alerts"]) - 1
    assert done["rejections"] == [
        {"alert": 2, "reason": "alerts[2].startsAt must be an RFC 3339 time."}
    ]


@pytest.mark.usefixtures("nothing_written")
def test_deeply_nested_json_is_400_not_500(am):
    response = deliver(am, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code in (400, 413)


# --- HMAC signatures (Grafana) ----------------------------------------------------


@pytest.fixture
def signed(alice, team):
    return make_integration(alice, kind="grafana", hmac_secret="shared-hmac-key")


def _signed_headers(body: bytes, *, key="shared-hmac-key", timestamp=None):
    headers = {"X-Grafana-Alerting-Signature": signature_for(key, body, timestamp)}
    if timestamp is not None:
        headers["X-Grafana-Alerting-Signature-Timestamp"] = timestamp
    return headers


def test_signature_of_the_body_authenticates(signed, product):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    response = deliver(signed, body, secret="", **_signed_headers(body))
    assert response.status_code == 202
    assert Incident.objects.get().source == "grafana"


def test_signature_with_timestamp_authenticates(signed, product):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    timestamp = str(int(time.time()))
    response = deliver(
        signed, body, secret="", **_signed_headers(body, timestamp=timestamp)
    )
    assert response.status_code == 202


@pytest.mark.usefixtures("nothing_written")
def test_signature_with_wrong_key_is_401(signed):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    headers = _signed_headers(body, key="guessed")
    assert deliver(signed, body, secret="", **headers).status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_signature_of_another_body_is_401(signed):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    headers = _signed_headers(body)
    tampered = body.replace(b"critical", b"info")
    assert deliver(signed, tampered, secret="", **headers).status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_stale_timestamp_is_401(signed):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    stale = str(int(time.time()) - 3600)
    response = deliver(
        signed, body, secret="", **_signed_headers(body, timestamp=stale)
    )
    assert response.status_code == 401
    assert "stale" in response.json()["error"]


@pytest.mark.usefixtures("nothing_written")
def test_future_timestamp_is_401(signed):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    future = str(int(time.time()) + 3600)
    headers = _signed_headers(body, timestamp=future)
    assert deliver(signed, body, secret="", **headers).status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_timestamp_not_covered_by_signature_is_401(signed):
    # Signed without the timestamp, sent with one: the message differs.
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    headers = _signed_headers(body)
    headers["X-Grafana-Alerting-Signature-Timestamp"] = str(int(time.time()))
    assert deliver(signed, body, secret="", **headers).status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_junk_timestamp_is_401(signed):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    headers = _signed_headers(body, timestamp="yesterday")
    assert deliver(signed, body, secret="", **headers).status_code == 401


@pytest.mark.usefixtures("nothing_written")
def test_signature_ignored_without_an_hmac_secret(grafana):
    # An integration without an HMAC secret only takes its bearer secret.
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    headers = _signed_headers(body, key="")
    assert deliver(grafana, body, secret="", **headers).status_code == 401


def test_bearer_still_works_when_hmac_is_configured(signed, product):
    assert deliver(signed, load_payload("grafana-firing.json")).status_code == 202


def test_secret_is_stored_hashed(am):
    stored = AlertIntegration.objects.get(pk=am.pk)
    assert am.secret.startswith("tka_")
    assert am.secret not in (stored.secret_hash, stored.secret_hint)
    assert len(stored.secret_hash) == 64
    assert stored.secret_hint == am.secret[-4:]
