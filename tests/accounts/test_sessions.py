"""Sessions: a new key at sign-in and at a password change, flushed at sign-out,
ended after an absolute and an idle limit; the password change page."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from tests.accounts.conftest import PASSWORD

NEW_PASSWORD = "a-long-enough-passphrase-42"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def with_session(key: str) -> Client:
    """A client presenting an old session cookie, as a thief would."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def sign_in(client: Client, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": "alice", "password": password})


def test_signing_in_gives_a_new_session_key(client, alice):
    session = client.session
    session["planted"] = "before sign-in"
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = before = session.session_key
    assert sign_in(client).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not SessionStore().exists(before)
    assert with_session(before).get("/products/").status_code == 302
    assert with_session(after).get("/products/").status_code == 200


def test_signing_out_flushes_the_session(client, alice):
    sign_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post("/accounts/logout/").status_code == 302
    assert not SessionStore().exists(key)
    assert with_session(key).get("/products/").status_code == 302


# --- Changing the password --------------------------------------------------------


def change_password(client: Client, old: str = PASSWORD, new: str = NEW_PASSWORD):
    return client.post(
        "/accounts/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_changing_the_password_cycles_the_key_and_ends_other_sessions(client, alice):
    laptop = Client()
    sign_in(laptop)
    sign_in(client)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = change_password(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/done/"
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get("/products/").status_code == 200  # still signed in here
    assert with_session(before).get("/products/").status_code == 302
    assert laptop.get("/products/").status_code == 302  # the other session ended
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("wrong", NEW_PASSWORD, "Your old password was entered incorrectly"),
        (PASSWORD, "short-pass", "at least 12 characters"),
        (PASSWORD, "qwerty123456", "too common"),
        (PASSWORD, "482915730264", "entirely numeric"),
    ],
)
def test_password_change_explains_refusals(alice_client, alice, old, new, error):
    response = change_password(alice_client, old, new)
    assert response.status_code == 200
    assert error in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_needs_sign_in(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Lifetimes ----------------------------------------------------------------------


@pytest.fixture
def production_lifetimes(settings):
    settings.SESSION_COOKIE_AGE = 12 * 3600
    settings.SESSION_IDLE_TIMEOUT = 30 * 60


def visit(client: Client, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return client.get("/products/").status_code


@pytest.mark.usefixtures("production_lifetimes")
def test_a_busy_session_still_ends_after_the_absolute_limit(client, alice):
    with time_machine.travel(START, tick=False):
        sign_in(client)
    for minutes in range(29, 12 * 60, 29):  # busy all day
        assert visit(client, START + timedelta(minutes=minutes)) == 200
    assert visit(client, START + timedelta(hours=12, seconds=1)) == 302
    with time_machine.travel(START + timedelta(hours=12, seconds=2), tick=False):
        page = client.get("/accounts/login/").content.decode()
    assert "Your session has expired; sign in again." in page


@pytest.mark.usefixtures("production_lifetimes")
def test_an_idle_session_ends(client, alice):
    with time_machine.travel(START, tick=False):
        sign_in(client)
    assert visit(client, START + timedelta(minutes=25)) == 200
    assert visit(client, START + timedelta(minutes=50)) == 200  # 25 min idle
    assert visit(client, START + timedelta(minutes=81)) == 302  # 31 min idle


@pytest.mark.usefixtures("production_lifetimes")
def test_activity_is_recorded_at_most_once_a_minute(client, alice):
    with time_machine.travel(START, tick=False):
        sign_in(client)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    seen = []
    for seconds in (10, 50, 70, 100):
        with time_machine.travel(START + timedelta(seconds=seconds), tick=False):
            client.get("/products/")
            seen.append(SessionStore(key).load()["_seen_at"])
    assert [at - int(START.timestamp()) for at in seen] == [0, 0, 70, 70]
