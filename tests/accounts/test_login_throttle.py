"""Sign-in throttling: per username and per client address, on every password path
(the sign-in page, the admin's, the API's token endpoint), exact under concurrency."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY, authenticate
from django.db import connection
from django.test import RequestFactory
from rest_framework.test import APIClient

from tests.accounts.conftest import PASSWORD
from tests.factories import UserFactory
from tracker.accounts import login_throttle
from tracker.accounts.login_throttle import LoginThrottled
from tracker.accounts.models import LoginAttemptCounter

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
# Mid-window, so a test's attempts never straddle two windows.
NOON = datetime(2026, 3, 2, 12, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _mid_window():
    with time_machine.travel(NOON, tick=False):
        yield


def sign_in(client, username="alice", password="wrong", path=LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def api_sign_in(username="alice", password="wrong", **extra):
    body = {"username": username, "password": password}
    return APIClient().post(TOKEN, body, format="json", **extra)


def user_count(username: str) -> int:
    key = login_throttle._key("user", login_throttle.normalise_username(username))
    row = LoginAttemptCounter.objects.filter(key=key).first()
    return row.count if row else 0


# --- The sign-in page --------------------------------------------------------------


def test_over_the_limit_the_right_password_is_refused_with_the_wait(client, alice):
    for _ in range(3):
        assert "didn&#x27;t match" in sign_in(client).content.decode()
    response = sign_in(client, password=PASSWORD)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    page = response.content.decode()
    assert "Too many sign-in attempts. Try again in 10 minutes." in page


def test_the_window_ending_lets_the_person_in(client, alice):
    for _ in range(4):
        sign_in(client)
    with time_machine.travel(NOON + timedelta(minutes=10), tick=False):
        response = sign_in(client, password=PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_a_success_clears_the_username_counter(client, alice):
    sign_in(client)
    sign_in(client)
    assert user_count("alice") == 2
    assert sign_in(client, password=PASSWORD).status_code == 302
    assert user_count("alice") == 0
    client.logout()
    for _ in range(3):  # the full allowance again
        sign_in(client)
    assert sign_in(client, password=PASSWORD).status_code == 200


def test_usernames_are_counted_normalised(client, alice):
    for name in ("alice", "ALICE", " Alice"):
        sign_in(client, username=name)
    assert user_count("alice") == 3
    assert "Too many" in sign_in(client, password=PASSWORD).content.decode()


def test_the_username_limit_holds_from_another_address(client, alice):
    for _ in range(3):
        sign_in(client, REMOTE_ADDR="192.0.2.1")
    refused = sign_in(client, password=PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert "Too many" in refused.content.decode()


def test_the_address_limit_covers_every_username(client, alice, bob):
    for number in range(5):
        sign_in(client, username=f"guess{number}")
    refused = sign_in(client, username="bob", password=PASSWORD)
    assert "Too many" in refused.content.decode()
    elsewhere = sign_in(client, username="bob", password=PASSWORD, REMOTE_ADDR="::1")
    assert elsewhere.status_code == 302


def test_successes_do_not_use_up_the_address_allowance(client, db):
    """An office behind one address: many people signing in is not an attack."""
    for number in range(8):
        UserFactory(username=f"person{number}")
        response = sign_in(client, username=f"person{number}", password=PASSWORD)
        assert response.status_code == 302
        client.logout()


def test_a_spoofed_forwarded_for_does_not_buy_fresh_addresses(client, alice):
    for number in range(5):
        sign_in(
            client, username=f"guess{number}", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}"
        )
    refused = sign_in(client, password=PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert "Too many" in refused.content.decode()


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for number in range(5):
        sign_in(client, username=f"guess{number}", HTTP_X_FORWARDED_FOR="203.0.113.9")
    response = sign_in(client, password=PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert response.status_code == 302


# --- The admin's sign-in and the API's ---------------------------------------------


def test_admin_sign_in_is_throttled_too(client, db):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(3):
        sign_in(client, username="root", path=ADMIN_LOGIN)
    response = sign_in(client, username="root", password=PASSWORD, path=ADMIN_LOGIN)
    assert response.status_code == 200
    assert "Too many sign-in attempts. Try again in" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_api_answers_429_with_retry_after_in_the_error_shape(alice):
    for _ in range(3):
        assert api_sign_in().status_code == 401
    response = api_sign_in(password=PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert response.json() == {
        "error": {
            "code": "throttled",
            "message": "Too many sign-in attempts. Try again in 10 minutes.",
            "fields": {},
        }
    }


def test_api_and_page_share_the_counters(client, alice):
    sign_in(client)
    api_sign_in()
    sign_in(client)
    assert api_sign_in(password=PASSWORD).status_code == 429


def test_authenticate_without_a_request_counts_the_username(alice):
    for _ in range(3):
        assert authenticate(None, username="alice", password="wrong") is None
    with pytest.raises(LoginThrottled):
        authenticate(None, username="alice", password=PASSWORD)


# --- Addresses, windows and purging -------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("not an address", None),
    ],
)
def test_client_address_groups_ipv6_by_64(remote, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    assert login_throttle.client_address(request) == expected


def test_the_wait_is_said_in_words():
    assert login_throttle.wait_phrase(1) == "1 second"
    assert login_throttle.wait_phrase(59) == "59 seconds"
    assert login_throttle.wait_phrase(61) == "2 minutes"


def test_a_new_window_purges_the_keys_older_windows(client, alice):
    sign_in(client)
    with time_machine.travel(NOON + timedelta(minutes=15), tick=False):
        sign_in(client)
    rows = LoginAttemptCounter.objects.values_list("window_start", "count")
    assert sorted(rows) == [(datetime(2026, 3, 2, 12, 15, tzinfo=UTC), 1)] * 2


def test_the_periodic_purge_deletes_ended_windows_only(client, alice, bob):
    sign_in(client, username="alice")
    with time_machine.travel(NOON + timedelta(minutes=15), tick=False):
        sign_in(client, username="bob", REMOTE_ADDR="192.0.2.8")
        deleted = login_throttle.login_counters_purge()
    assert deleted == 2  # alice's and 127.0.0.1's
    assert LoginAttemptCounter.objects.count() == 2


def test_the_purge_runs_as_a_task(client, alice):
    from tracker.accounts.tasks import login_counters_purge_task

    sign_in(client)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        assert login_counters_purge_task.apply().get() == 2
    assert not LoginAttemptCounter.objects.exists()


def test_counters_hold_no_username_or_address(client, alice):
    sign_in(client, username="alice-typed-her-password-here")
    keys = " ".join(LoginAttemptCounter.objects.values_list("key", flat=True))
    assert "alice" not in keys and "127.0.0.1" not in keys


# --- Concurrency ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_counted_exactly(alice, settings):
    """Eight wrong passwords at once, each thread on its own connection: the
    counter ends at exactly eight, only the first three reached the password
    check, and the right password is refused afterwards."""
    attempts = 8
    start = threading.Barrier(attempts, timeout=10)
    outcomes: list[str] = []
    errors: list[Exception] = []

    def attempt() -> None:
        try:
            start.wait()
            authenticate(None, username="alice", password="wrong")
            outcomes.append("checked")
        except LoginThrottled:
            outcomes.append("refused")
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert user_count("alice") == attempts
    assert sorted(outcomes) == ["checked"] * 3 + ["refused"] * 5
    with pytest.raises(LoginThrottled):
        authenticate(None, username="alice", password=PASSWORD)
