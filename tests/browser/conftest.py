"""Browser tests: real headless Chromium (Debian's package) driven by Playwright.

No browser is downloaded: Playwright launches the system Chromium. Screenshots
of each step land in artifacts/screenshots/ for people to look at.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(autouse=True, scope="session")
def _allow_orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test thread; without this
    Django refuses ORM calls made from test bodies and database fixtures (set for
    the rest of the session: fixtures of later tests tear down inside that loop)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1360, "height": 900}}


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot under a readable name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(name: str) -> None:
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return _shoot


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(username: str, password: str = "password") -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/products/")

    return _sign_in
