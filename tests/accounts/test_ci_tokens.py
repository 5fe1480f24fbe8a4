"""Per-product CI tokens: management, and what a CI token may (not) do."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from tests.conftest import bearer
from tests.factories import MetricFactory, ProductFactory, SLAFactory
from tracker.accounts.models import ApiToken, TokenKind
from tracker.accounts.services import token_create
from tracker.ci.models import CIStatus
from tracker.products.models import Measurement, SLACheck

TOKENS = "/api/v1/products/fraud-score/ci-tokens/"
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def test_team_member_creates_a_ci_token_shown_once(bob_api, product, bob):
    response = bob_api.post(
        TOKENS,
        {"name": "GitHub Actions", "expires_at": "2099-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("trk_")
    assert body["kind"] == "ci" and body["product"] == "fraud-score"
    assert body["created_by"] == "bob" and body["last_used_at"] is None
    assert body["expires_at"] == "2099-01-01T00:00:00Z"
    listed = bob_api.get(TOKENS).json()["results"]
    assert [t["name"] for t in listed] == ["GitHub Actions"]
    assert "token" not in listed[0]
    stored = ApiToken.objects.get(kind=TokenKind.CI)
    assert body["token"] not in {stored.digest, stored.lookup}


def test_outsider_cannot_create_or_list_ci_tokens(carol_api, product):
    assert carol_api.post(TOKENS, {"name": "x"}, format="json").status_code == 403
    assert carol_api.get(TOKENS).status_code == 403
    assert not ApiToken.objects.filter(kind=TokenKind.CI).exists()


def test_revoked_ci_token_stops_working(alice_api, ci_api, ci_raw, product):
    token = ApiToken.objects.get(kind=TokenKind.CI)
    assert alice_api.delete(f"{TOKENS}{token.pk}/").status_code == 204
    response = ci_api.post(
        "/api/v1/products/fraud-score/ci-status/",
        {"sha": SHA, "context": "train", "state": "pending"},
        format="json",
    )
    assert response.status_code == 401
    assert alice_api.get(TOKENS).json()["results"] == []
    assert alice_api.delete(f"{TOKENS}{token.pk}/").status_code == 404


# --- A CI token verified moments ago is not read again -----------------------------

STATUS = "/api/v1/products/fraud-score/ci-status/"


def post_status(client, state="pending"):
    body = {"sha": SHA, "context": "train", "state": state}
    return client.post(STATUS, body, format="json")


def test_revoking_a_ci_token_refuses_it_at_once_even_right_after_use(
    alice_api, ci_api, product
):
    assert post_status(ci_api).status_code == 201
    token = ApiToken.objects.get(kind=TokenKind.CI)
    assert alice_api.delete(f"{TOKENS}{token.pk}/").status_code == 204
    response = post_status(ci_api, "success")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
    assert CIStatus.objects.get().state == "pending"


@pytest.mark.parametrize(
    "revoke",
    [
        lambda: ApiToken.objects.update(revoked_at=timezone.now()),
        lambda: ApiToken.objects.update(expires_at=timezone.now()),
        lambda: _raw_sql(
            f"UPDATE {ApiToken._meta.db_table} SET revoked_at = %s", [timezone.now()]
        ),
    ],
    ids=["revoked", "expired", "raw-sql"],
)
def test_a_change_made_elsewhere_refuses_the_very_next_request(ci_api, product, revoke):
    """Another process (or someone at the database) revoking or expiring the
    token: nothing in this process vouches for it, the next request is 401."""
    assert post_status(ci_api).status_code == 201
    revoke()
    response = post_status(ci_api, "success")
    assert response.status_code == 401
    assert CIStatus.objects.get().state == "pending"


def _raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_ci_token_expires_on_time(alice, product):
    expires = timezone.now() + timedelta(hours=1)
    _, raw = token_create(user=alice, name="ci", product=product, expires_at=expires)
    client = bearer(raw)
    assert post_status(client).status_code == 201
    with time_machine.travel(expires + timedelta(seconds=1)):
        response = post_status(client, "success")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_an_accepted_ci_token_does_not_vouch_for_another_secret(ci_raw, product):
    assert post_status(bearer(ci_raw)).status_code == 201
    forged = ci_raw[:16] + ("x" if ci_raw[16] != "x" else "y") + ci_raw[17:]
    assert post_status(bearer(forged), "success").status_code == 401


def test_outsider_cannot_revoke(carol_api, ci_raw, product):
    token = ApiToken.objects.get(kind=TokenKind.CI)
    assert carol_api.delete(f"{TOKENS}{token.pk}/").status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_ci_token_of_another_product_cannot_be_revoked_here(alice_api, product, alice):
    other = ProductFactory(team=product.team)
    token, _ = token_create(user=alice, name="x", product=other)
    assert alice_api.delete(f"{TOKENS}{token.pk}/").status_code == 404


# --- What a CI token may do ----------------------------------------------------


def test_ci_token_posts_ci_status(ci_api, product):
    response = ci_api.post(
        "/api/v1/products/fraud-score/ci-status/",
        {"sha": SHA, "context": "train", "state": "running"},
        format="json",
    )
    assert response.status_code == 201
    status = CIStatus.objects.get()
    assert status.reported_by is None and status.token.kind == TokenKind.CI
    assert response.json()["reported_by"] is None


def test_ci_token_posts_measurements_and_sla_checks(ci_api, product):
    metric = MetricFactory(product=product)
    sla = SLAFactory(product=product)
    measured = ci_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": 0.9}, format="json"
    )
    assert measured.status_code == 201
    checked = ci_api.post(
        f"/api/v1/slas/{sla.pk}/checks/", {"value": 42}, format="json"
    )
    assert checked.status_code == 201
    assert Measurement.objects.get().source == "ci"
    assert SLACheck.objects.get().source == "ci"


def test_ci_token_use_is_recorded(ci_api, product):
    ci_api.post(
        "/api/v1/products/fraud-score/ci-status/",
        {"sha": SHA, "context": "train", "state": "running"},
        format="json",
    )
    assert ApiToken.objects.get(kind=TokenKind.CI).last_used_at <= timezone.now()


def test_ci_token_cannot_report_to_another_product(ci_api, product, team):
    other = ProductFactory(slug="other", team=team)
    metric = MetricFactory(product=other)
    sla = SLAFactory(product=other)
    status = ci_api.post(
        "/api/v1/products/other/ci-status/",
        {"sha": SHA, "context": "train", "state": "pending"},
        format="json",
    )
    measured = ci_api.post(
        f"/api/v1/metrics/{metric.pk}/measurements/", {"value": 1}, format="json"
    )
    checked = ci_api.post(f"/api/v1/slas/{sla.pk}/checks/", {"value": 1}, format="json")
    assert (status.status_code, measured.status_code, checked.status_code) == (
        403,
        403,
        403,
    )
    assert not CIStatus.objects.exists()
    assert not Measurement.objects.exists() and not SLACheck.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/products/"),
        ("get", "/api/v1/products/fraud-score/"),
        ("get", "/api/v1/products/fraud-score/ci-status/"),
        ("get", "/api/v1/products/fraud-score/ci-status/history/"),
        ("get", "/api/v1/teams/"),
        ("get", "/api/v1/auth/tokens/"),
        ("patch", "/api/v1/products/fraud-score/"),
        ("post", "/api/v1/products/"),
        ("post", "/api/v1/products/fraud-score/metrics/"),
        ("post", "/api/v1/products/fraud-score/slas/"),
        ("post", "/api/v1/products/fraud-score/survey/"),
        ("post", "/api/v1/products/fraud-score/sessions/"),
        ("post", "/api/v1/products/fraud-score/ci-tokens/"),
        ("get", "/api/v1/products/fraud-score/ci-tokens/"),
    ],
)
def test_ci_token_is_refused_everything_else(ci_api, product, method, path):
    response = getattr(ci_api, method)(path, {}, format="json")
    assert response.status_code == 403
    assert "CI token" in response.json()["error"]["message"]


def test_ci_token_cannot_read_or_delete_measurements(ci_api, product):
    metric = MetricFactory(product=product)
    url = f"/api/v1/metrics/{metric.pk}/measurements/"
    assert ci_api.get(url).status_code == 403
    assert (
        ci_api.patch(f"/api/v1/metrics/{metric.pk}/", {}, format="json").status_code
        == 403
    )


def test_ci_token_cannot_sign_in_or_get_a_badge_session(ci_raw, product):
    """The badge is an HTML view: a CI token is not a browser session."""
    client = bearer(ci_raw)
    assert client.get("/products/fraud-score/badge.svg").status_code == 404


@pytest.mark.parametrize("count", [2, 8])
def test_ci_token_list_queries_do_not_grow(
    count, alice_api, product, alice, django_assert_max_num_queries
):
    for n in range(count):
        token_create(user=alice, name=f"runner {n}", product=product)
    with django_assert_max_num_queries(6):
        response = alice_api.get(TOKENS)
    assert response.json()["count"] == count
