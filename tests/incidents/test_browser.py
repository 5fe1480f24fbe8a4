"""The incident journey in a real Chromium: triage from the inbox, acknowledge,
resolve, read the timeline, with the strict Content-Security-Policy in force
(a violation shows up as a console error and fails the test)."""

import os

import pytest

from tests.conftest import CHROMIUM
from tests.incidents.conftest import deliver, load_payload
from tests.picking import pick

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session", autouse=True)
def _sync_db_under_playwright():
    """Playwright's sync API keeps an event loop running in the main thread from
    its first use to the end of the session, and Django refuses database calls
    from a thread with a running loop unless told otherwise. Session-scoped, and
    set up before the database and the browser, for that reason."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.wait_for_url("**/products/")


def test_triage_acknowledge_resolve(page, live_server, am, product, console_errors):
    payload = load_payload("alertmanager-v4-firing.json")
    del payload["alerts"][0]["labels"]["product"]
    assert deliver(am, payload).status_code == 202

    _sign_in(page, live_server, "bob")
    page.click("nav.mainnav >> text=Incidents")
    page.click("nav.tabs >> text=Untriaged inbox")
    pick(page.locator("form.triage .picker-input"), "fraud", "Fraud score")
    page.select_option("form.triage select[name=severity]", "sev2")
    page.click("form.triage button")
    page.wait_for_url("**/incidents/inbox/")
    assert "Inbox zero" in page.content()

    page.click("nav.tabs >> text=All incidents")
    page.click("text=Null rate of merchant_country above 5% for 15m")
    page.click("button:has-text('Acknowledge')")
    page.fill("#id_note", "Column renamed upstream; backfilled.")
    page.click("button:has-text('Resolve incident')")

    timeline = page.locator("ol.timeline").inner_text()
    assert "assigned it to Fraud score" in timeline
    assert "Acknowledged" in timeline
    assert "Column renamed upstream; backfilled." in timeline
    assert page.locator(".badges .status-resolved").count() == 1
    assert console_errors == []
