"""Signing in for a token, bearer tokens, sessions, refusals (401 vs 403)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import bearer
from tests.factories import UserFactory
from tracker.accounts.models import ApiToken, TokenKind
from tracker.accounts.services import token_create, token_revoke
from tracker.accounts.tokens import token_digest

TOKEN_URL = "/api/v1/auth/token/"


def test_sign_in_returns_a_prefixed_token_that_works(anon, alice, product):
    response = anon.post(
        TOKEN_URL, {"username": "alice", "password": "password"}, format="json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("trk_")
    assert bearer(raw).get("/api/v1/products/").status_code == 200


def test_token_is_stored_only_as_a_keyed_hash(anon, alice):
    raw = anon.post(
        TOKEN_URL, {"username": "alice", "password": "password"}, format="json"
    ).json()["token"]
    token = ApiToken.objects.get()
    assert token.kind == TokenKind.PERSON
    assert raw not in {token.digest, token.lookup}
    assert token.digest == token_digest(raw)
    assert raw[4:16] == token.lookup  # the non-secret part finds the row


def test_wrong_password_is_401_with_bearer_challenge(anon, alice):
    response = anon.post(
        TOKEN_URL, {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "authentication_failed"
    assert not ApiToken.objects.exists()


def test_disabled_account_cannot_sign_in(anon, db):
    UserFactory(username="dave", is_active=False)
    response = anon.post(
        TOKEN_URL, {"username": "dave", "password": "password"}, format="json"
    )
    assert response.status_code == 401


def test_sign_in_rejects_unknown_fields(anon, alice):
    response = anon.post(
        TOKEN_URL,
        {"username": "alice", "password": "password", "scope": "admin"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"scope": ["Unknown field."]}


def test_no_credentials_is_401_with_bearer_challenge(anon, product):
    response = anon.get("/api/v1/products/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer trk_notarealtoken",
        "Bearer",
        "Bearer a b",
        "Bearer trk_AAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ],
)
def test_bad_token_is_401(header, product):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/products/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_of_another_secret_with_a_known_lookup_is_refused(alice, product):
    _, raw = token_create(user=alice, name="laptop")
    forged = raw[:16] + "x" * (len(raw) - 16)
    assert bearer(forged).get("/api/v1/products/").status_code == 401


def test_revoked_token_is_401(alice, product):
    token, raw = token_create(user=alice, name="laptop")
    token_revoke(token=token)
    response = bearer(raw).get("/api/v1/products/")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_expired_token_is_401(alice, product):
    expires = timezone.now() + timedelta(days=1)
    _, raw = token_create(user=alice, name="laptop", expires_at=expires)
    assert bearer(raw).get("/api/v1/products/").status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1)):
        response = bearer(raw).get("/api/v1/products/")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_token_of_a_disabled_person_is_401(alice, product):
    _, raw = token_create(user=alice, name="laptop")
    alice.is_active = False
    alice.save()
    assert bearer(raw).get("/api/v1/products/").status_code == 401


@pytest.mark.parametrize("param", ["token", "access_token", "api_key"])
def test_token_in_query_string_is_refused(param, alice, product):
    _, raw = token_create(user=alice, name="laptop")
    response = APIClient().get(f"/api/v1/products/?{param}={raw}")
    assert response.status_code == 401
    assert "query string" in response.json()["error"]["message"]


def test_token_in_query_string_is_refused_even_with_a_good_header(alice_api, product):
    _, raw = token_create(user=product.pm_owner, name="other")
    response = alice_api.get(f"/api/v1/products/?q={raw}")
    assert response.status_code == 401


def test_last_used_is_recorded_for_accepted_requests_only(alice, product):
    token, raw = token_create(user=alice, name="laptop")
    client = bearer(raw)
    client.get("/api/v1/products/nope/")  # 404: refused, writes nothing
    token.refresh_from_db()
    assert token.last_used_at is None
    client.get("/api/v1/products/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_session_sign_in_works_and_needs_csrf_for_writes(alice, team, product):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/v1/products/").status_code == 200
    body = {"name": "Churn", "slug": "churn", "team": "risk"}
    refused = client.post("/api/v1/products/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    client.get("/products/")  # a page with a form sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post(
        "/api/v1/products/", body, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert accepted.status_code == 201


def test_people_list_and_revoke_their_own_tokens_only(alice_api, bob, alice):
    bobs, _ = token_create(user=bob, name="bob's")
    listed = alice_api.get("/api/v1/auth/tokens/").json()["results"]
    assert [t["name"] for t in listed] == ["laptop"]
    assert "token" not in listed[0] and listed[0]["prefix"].startswith("trk_")
    assert alice_api.delete(f"/api/v1/auth/tokens/{bobs.pk}/").status_code == 404
    mine = listed[0]["id"]
    assert alice_api.delete(f"/api/v1/auth/tokens/{mine}/").status_code == 204
    # That was the token alice_api signs in with.
    assert alice_api.get("/api/v1/auth/tokens/").status_code == 401


def test_expiry_must_be_in_the_future(anon, alice):
    response = anon.post(
        TOKEN_URL,
        {
            "username": "alice",
            "password": "password",
            "expires_at": "2001-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "expires_at" in response.json()["error"]["fields"]
