"""Credentials: CI and person tokens, alert bearer secrets and HMAC signing keys.

Stored hashed (or, for the HMAC key that must stay usable, encrypted), compared
in constant time, never in a log record or an error report, revocable, with
their last use recorded; and a SECRET_KEY rotation with fallbacks keeps them."""

import hmac
import json
import logging
import sys

import pytest
from django.core.cache import cache
from django.core.signals import got_request_exception
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from tests.conftest import bearer
from tests.incidents.conftest import deliver, load_payload, make_integration
from tracker.accounts.models import ApiToken
from tracker.accounts.services import token_create
from tracker.incidents.models import AlertIntegration
from tracker.incidents.signing import SIGNATURE_HEADER, signature_for
from tracker.lib import crypto

PASSWORD = "correct-horse-battery-staple-7"
NEW_PASSWORD = "another-long-passphrase-8"
HMAC_KEY = "grafana-shared-signing-key-9"
CI_URL = "/api/v1/products/fraud-score/ci-status/"
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
OTHER_KEY = "a-new-secret-key-for-rotation-tests-0123456789-abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # the API's per-address rates, kept in the cache
    yield
    cache.clear()


@pytest.fixture
def am(alice, team):
    return make_integration(alice)


@pytest.fixture
def ci_raw(alice, product):
    return token_create(user=alice, name="ci", product=product)[1]


@pytest.fixture
def alice_api(alice, team):
    return bearer(token_create(user=alice, name="laptop")[1])


@pytest.fixture
def person(alice):
    alice.set_password(PASSWORD)
    alice.save()
    return alice


@pytest.fixture
def signed(alice, team):
    return make_integration(alice, kind="grafana", hmac_secret=HMAC_KEY)


def stored(table: str, column: str) -> list[str]:
    """Raw column values, as a database dump would show them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")
        return [row[0] for row in cursor.fetchall()]


def signed_delivery(integration, *, key: str = HMAC_KEY):
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    return deliver(
        integration, body, secret="", **{SIGNATURE_HEADER: signature_for(key, body)}
    )


# --- At rest --------------------------------------------------------------------------


def test_ci_and_person_tokens_are_stored_as_keyed_hashes(alice, product):
    _, person_raw = token_create(user=alice, name="laptop")
    _, ci_raw = token_create(user=alice, name="ci", product=product)
    dump = " ".join(
        stored("accounts_apitoken", "digest") + stored("accounts_apitoken", "lookup")
    )
    for raw in (person_raw, ci_raw):
        assert raw not in dump and raw[16:] not in dump


def test_the_hmac_key_is_encrypted_at_rest_and_still_verifies(signed, product):
    [ciphertext] = stored("incidents_alertintegration", "hmac_secret")
    assert HMAC_KEY not in ciphertext
    assert (
        crypto.decrypt("tracker.incidents.AlertIntegration.hmac_secret", ciphertext)
        == HMAC_KEY
    )
    assert AlertIntegration.objects.get().hmac_secret == HMAC_KEY
    assert signed_delivery(signed).status_code == 202
    assert signed_delivery(signed, key="guessed").status_code == 401


def test_encryption_is_randomised(signed, alice):
    make_integration(alice, kind="grafana", hmac_secret=HMAC_KEY)
    first, second = stored("incidents_alertintegration", "hmac_secret")
    assert first != second


def test_an_integration_without_an_hmac_key_stores_nothing(am):
    assert stored("incidents_alertintegration", "hmac_secret") == [""]


# --- SECRET_KEY rotation --------------------------------------------------------------


def test_rotating_secret_key_with_a_fallback_keeps_every_credential(
    settings, signed, alice, product
):
    _, raw = token_create(user=alice, name="laptop")
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = OTHER_KEY, [old]
    assert bearer(raw).get("/api/v1/products/").status_code == 200
    assert deliver(signed, load_payload("grafana-firing.json")).status_code == 202
    assert signed_delivery(signed).status_code == 202
    integration = AlertIntegration.objects.get()
    integration.save()  # re-encrypted under the new key
    settings.SECRET_KEY_FALLBACKS = []
    assert AlertIntegration.objects.get().hmac_secret == HMAC_KEY
    assert bearer(raw).get("/api/v1/products/").status_code == 401


def test_without_the_old_key_the_hmac_key_cannot_be_read(settings, signed):
    settings.SECRET_KEY = OTHER_KEY
    with pytest.raises(ValueError, match="SECRET_KEY_FALLBACKS"):
        AlertIntegration.objects.get()


# --- Comparisons ----------------------------------------------------------------------


@pytest.fixture
def comparisons(monkeypatch):
    """Every hmac.compare_digest call, by the lengths it compared."""
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return calls


def test_tokens_are_compared_in_constant_time(comparisons, alice, product):
    _, raw = token_create(user=alice, name="ci", product=product)
    forged = raw[:16] + "x" * (len(raw) - 16)
    assert bearer(forged).get("/api/v1/products/").status_code == 401
    assert comparisons == [(64, 64)]


def test_alert_secrets_and_signatures_are_compared_in_constant_time(
    comparisons, signed
):
    deliver(signed, load_payload("grafana-firing.json"), secret="tka_guessed")
    signed_delivery(signed, key="guessed")
    assert comparisons == [(64, 64), (64, 64)]


# --- Revoking and last use ------------------------------------------------------------


def test_a_revoked_ci_token_stops_working_and_use_is_recorded(alice_api, ci_raw):
    body = {"sha": SHA, "context": "train", "state": "success"}
    assert bearer(ci_raw).post(CI_URL, body, format="json").status_code == 201
    token = ApiToken.objects.get(kind="ci")
    assert token.last_used_at is not None
    path = f"/api/v1/products/fraud-score/ci-tokens/{token.pk}/"
    assert alice_api.delete(path).status_code == 204
    assert bearer(ci_raw).post(CI_URL, body, format="json").status_code == 401


def test_a_revoked_integration_refuses_deliveries(alice_client, am, product):
    assert deliver(am, load_payload("alertmanager-v4-firing.json")).status_code == 202
    assert AlertIntegration.objects.get().last_delivery_at is not None
    alice_client.post(f"/incidents/integrations/{am.pk}/revoke/")
    assert deliver(am, load_payload("alertmanager-v4-firing.json")).status_code == 404


def test_bearer_requests_never_touch_the_session_table(ci_raw, product):
    """The session limits (accounts.middleware) cost CI's hot path nothing."""
    body = {"sha": SHA, "context": "train", "state": "success"}
    with CaptureQueriesContext(connection) as queries:
        assert bearer(ci_raw).post(CI_URL, body, format="json").status_code == 201
    assert not [q for q in queries if "django_session" in q["sql"]]
    assert "Vary" not in bearer(ci_raw).post(CI_URL, body, format="json").headers


# --- Never logged ---------------------------------------------------------------------


def test_no_secret_reaches_a_log_record(caplog, person, product, signed):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")  # INFO by Django's default
    secrets = [PASSWORD, NEW_PASSWORD, HMAC_KEY]
    # The database's own DEBUG log (every statement and its parameters) too.
    with CaptureQueriesContext(connection):
        page = Client()
        page.post(
            "/accounts/login/", {"username": "alice", "password": "wrong-guess-1"}
        )
        page.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        page.post(
            "/accounts/password/",
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        api = APIClient()
        answer = api.post(
            "/api/v1/auth/token/",
            {"username": "alice", "password": NEW_PASSWORD},
            format="json",
        )
        person_raw = answer.json()["token"]
        created = bearer(person_raw).post(
            "/api/v1/products/fraud-score/ci-tokens/", {"name": "ci"}, format="json"
        )
        ci_raw = created.json()["token"]
        body = {"sha": SHA, "context": "train", "state": "success"}
        bearer(ci_raw).post(CI_URL, body, format="json")
        bearer(ci_raw[:-4] + "xxxx").post(CI_URL, body, format="json")
        bearer(person_raw).get("/api/v1/products/")
        api.get(f"/api/v1/products/?token={person_raw}")
        deliver(signed, load_payload("grafana-firing.json"))
        deliver(
            signed,
            load_payload("grafana-firing.json"),
            secret=signed.secret[:-2] + "zz",
        )
        signed_delivery(signed)
        signed_delivery(signed, key="guessed")
        for _ in range(12):  # throttled sign-ins log too
            api.post(
                "/api/v1/auth/token/",
                {"username": "alice", "password": PASSWORD},
                format="json",
            )
    secrets += [person_raw, person_raw[16:], ci_raw, ci_raw[16:], signed.secret]
    assert len(caplog.records) > 100  # statements, requests, refusals
    # What a handler writes: the message with its arguments and any traceback.
    # (Records of refused requests also carry the request object, whose repr
    # has the query string: a token sent there is refused, and must be revoked,
    # since proxies and access logs keep URLs; see docs/security.md.)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    text = "\n".join(f"{formatter.format(r)} {r.args!r}" for r in caplog.records)
    assert not [secret for secret in secrets if secret in text]


# --- Error reports --------------------------------------------------------------------


@pytest.fixture
def error_report(monkeypatch):
    """The text Django's error e-mail would carry for the next request that fails."""
    reports = []

    def report(sender, request, **kwargs):
        exc_type, exc, tb = sys.exc_info()
        reports.append(
            ExceptionReporter(request, exc_type, exc, tb).get_traceback_html()
        )

    got_request_exception.connect(report)
    yield reports
    got_request_exception.disconnect(report)


def fail(*args, **kwargs):
    raise RuntimeError("a failure after the credentials were read")


def test_a_failed_sign_in_page_reports_no_password(error_report, monkeypatch, person):
    monkeypatch.setattr("tracker.accounts.login_throttle.login_attempt_succeeded", fail)
    client = Client(raise_request_exception=False)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 500
    [text] = error_report
    assert "a failure after the credentials" in text
    assert PASSWORD not in text
    assert "********" in text


def test_a_failed_token_sign_in_reports_no_password(error_report, monkeypatch, person):
    monkeypatch.setattr("tracker.accounts.services.token_create", fail)
    client = APIClient(raise_request_exception=False)
    body = {"username": "alice", "password": PASSWORD}
    assert client.post("/api/v1/auth/token/", body, format="json").status_code == 500
    [text] = error_report
    assert "a failure after the credentials" in text and PASSWORD not in text


def test_a_failed_token_use_reports_no_token(
    error_report, monkeypatch, alice, product, settings
):
    _, raw = token_create(user=alice, name="laptop")
    monkeypatch.setattr("tracker.lib.crypto.salted_hmac", fail)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/products/").status_code == 500
    [text] = error_report
    assert "a failure after the credentials" in text
    assert raw[16:] not in text and settings.SECRET_KEY not in text


def test_a_failed_integration_create_reports_no_hmac_key(
    error_report, monkeypatch, alice_client, product
):
    monkeypatch.setattr("tracker.incidents.services.incidents.model_create", fail)
    alice_client.raise_request_exception = False
    response = alice_client.post(
        "/incidents/integrations/new/",
        {"name": "Grafana", "kind": "grafana", "hmac_secret": HMAC_KEY},
    )
    assert response.status_code == 500
    [text] = error_report
    assert "a failure after the credentials" in text and HMAC_KEY not in text


def test_a_failed_delivery_reports_no_secret(error_report, monkeypatch, signed):
    monkeypatch.setattr("tracker.incidents.services.ingest.delivery_accept", fail)
    body = json.dumps(load_payload("grafana-firing.json")).encode()
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/hooks/alerts/{signed.pk}/",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {signed.secret}"},
    )
    assert response.status_code == 500
    [text] = error_report
    assert signed.secret not in text and HMAC_KEY not in text
