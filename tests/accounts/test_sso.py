"""Single sign-on against a real OpenID Connect provider (node-oidc-provider,
started from tests/oidc/ by the test): the code flow through the browser's
redirects, a person created on first sign-in and found again on the next, the
teams claim mapped to memberships, local accounts untouched, and the routes
absent (404) when single sign-on is not configured."""

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import require
from tests.factories import TeamFactory, UserFactory
from tests.integrations.servers import free_port
from tracker.accounts.models import Membership, User

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"


@pytest.fixture
def provider(live_server, settings):
    node = shutil.which("node")
    require(node is not None, "needs Node.js for the OpenID Connect provider")
    require(
        (OIDC_DIR / "node_modules" / "oidc-provider").exists(),
        "needs oidc-provider: npm install --prefix tests/oidc",
    )
    port = free_port()
    callback = f"{live_server.url}/accounts/sso/callback/"
    process = subprocess.Popen(
        [node, "server.mjs"],
        cwd=OIDC_DIR,
        env={"PORT": str(port), "REDIRECT_URI": callback, "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{issuer}/.well-known/openid-configuration")
        settings.OIDC_RP_CLIENT_ID = "tracker"
        settings.OIDC_RP_CLIENT_SECRET = "tracker-test-secret"
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{issuer}/auth"
        settings.OIDC_OP_TOKEN_ENDPOINT = f"{issuer}/token"
        settings.OIDC_OP_USER_ENDPOINT = f"{issuer}/me"
        settings.OIDC_OP_JWKS_ENDPOINT = f"{issuer}/jwks"
        settings.OIDC_TEAMS_CLAIM = "groups"
        settings.AUTHENTICATION_BACKENDS = [
            *settings.AUTHENTICATION_BACKENDS,
            settings.OIDC_BACKEND,
        ]
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("the OpenID Connect provider did not start")


def _submit(browser: requests.Session, page: requests.Response, **fields):
    """Submit the provider's development form on `page` (login or consent)."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)[1]
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    )
    return browser.post(
        requests.compat.urljoin(page.url, action), data={**hidden, **fields}
    )


def _sign_in(live_server, login: str) -> requests.Response:
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/accounts/sso/?next=/accounts/teams/")
    assert "/interaction/" in page.url, page.text[:300]
    page = _submit(browser, page, login=login, password="anything")
    for _ in range(3):  # consent, if the provider asks for it
        if "/interaction/" not in page.url:
            break
        page = _submit(browser, page)
    return page


@pytest.mark.django_db(transaction=True)
def test_first_sign_in_creates_the_person_and_maps_the_teams_claim(
    provider, live_server
):
    TeamFactory(slug="risk", name="Risk")
    page = _sign_in(live_server, "sam")
    assert page.url == f"{live_server.url}/accounts/teams/", page.url
    assert "Sam Single" in page.text
    sam = User.objects.get(username="sam")
    assert (sam.email, sam.first_name, sam.has_usable_password()) == (
        "sam@sso.example.org",
        "Sam",
        False,
    )
    assert list(
        Membership.objects.filter(user=sam).values_list("team__slug", flat=True)
    ) == ["risk"]
    again = _sign_in(live_server, "sam")
    assert again.url == f"{live_server.url}/accounts/teams/"
    assert User.objects.filter(email="sam@sso.example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_never_takes_over_a_local_account(provider, live_server):
    local = UserFactory(username="alice", email="alice@example.org")
    _sign_in(live_server, "alice")
    created = User.objects.get(email="alice@sso.example.org")
    assert created.pk != local.pk and created.username.startswith("alice-")
    local.refresh_from_db()
    assert local.has_usable_password()


@pytest.mark.django_db(transaction=True)
def test_local_sign_in_stays_and_offers_sso(provider, live_server):
    page = requests.get(f"{live_server.url}/accounts/login/")
    assert "Sign in with single sign-on" in page.text and 'name="password"' in page.text


def test_without_configuration_the_routes_are_404(client, db):
    assert client.get("/accounts/sso/").status_code == 404
    assert client.get("/accounts/sso/callback/?code=x&state=y").status_code == 404
    assert b"single sign-on" not in client.get("/accounts/login/").content
