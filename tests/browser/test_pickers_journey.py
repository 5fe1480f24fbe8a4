"""Pickers in a real browser, from the keyboard only: filter the incident list
by a product among many (typed, ↓, Enter), and choose a postmortem's reviewers
as chips (Enter adds, Backspace removes, Escape closes), under the strict CSP."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import IncidentFactory, UserFactory
from tests.postmortems.conftest import resolved_incident
from tracker.postmortems.services.writeup import postmortem_create
from tracker.products.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_pick_from_the_keyboard(
    page, live_server, sign_in, shoot, product, alice, bob, console_errors
):
    Product.objects.bulk_create(
        Product(
            name=f"Fraud rules {i:03}",
            slug=f"fraud-rules-{i:03}",
            team=product.team,
            stage_entered_at=timezone.now(),
        )
        for i in range(300)
    )
    IncidentFactory(product=product, title="Score drift on small merchants")
    other = Product.objects.get(slug="fraud-rules-007")
    IncidentFactory(product=other, title="Rules engine timeout")
    UserFactory(username="bobby", first_name="Bobby", last_name="Tables")

    sign_in("alice")
    page.goto(f"{live_server.url}/incidents/")
    expect(page.locator("select[name=product] option")).to_have_count(0)
    box = page.get_by_role("combobox", name="Product")
    box.click()
    box.press_sequentially("fraud score", delay=20)
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_text(["Fraud score (Risk)"])
    shoot("picker-01-filter-typed")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]product=fraud-score(&|$)"))
    expect(page.locator("#incident-rows")).to_contain_text("Score drift")
    expect(page.locator("#incident-rows")).not_to_contain_text("Rules engine")
    expect(box).to_have_value("Fraud score (Risk)")

    # Many matches: at most a screenful, and the arrows move through them.
    box.press("Control+a")
    box.press_sequentially("rules", delay=20)
    options = listbox.get_by_role("option")
    expect(options).to_have_count(20)
    expect(listbox).to_contain_text("More match: keep typing")
    box.press("ArrowDown")
    box.press("ArrowDown")
    expect(listbox.locator("[aria-selected=true]")).to_have_text(
        "Fraud rules 002 (Risk)"
    )
    box.press("ArrowUp")
    expect(listbox.locator("[aria-selected=true]")).to_have_text(
        "Fraud rules 001 (Risk)"
    )
    shoot("picker-02-many-matches")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    box.press("Escape")  # back to what was chosen
    expect(box).to_have_value("Fraud score (Risk)")
    # Emptying the box clears the filter.
    box.fill("")
    expect(page).to_have_url(re.compile(r"[?&]product=(&|$)"))
    expect(page.locator("#incident-rows")).to_contain_text("Rules engine")

    # The inbox: an alert whose label names a product comes with it picked.
    IncidentFactory(
        product=None, title="Unrouted latency alert", labels={"product": "fraud-score"}
    )
    page.goto(f"{live_server.url}/incidents/inbox/")
    triage = page.locator("form.triage .picker-input")
    expect(triage).to_have_value("Fraud score (Risk)")
    triage.click()
    triage.press("Control+a")
    triage.press_sequentially("rules 007", delay=20)
    expect(page.locator("form.triage [role=option]")).to_have_text(
        ["Fraud rules 007 (Risk)"]
    )
    shoot("picker-05-inbox-triage")
    triage.press("Escape")
    triage.press("Escape")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Inbox zero")).to_be_visible()
    assert product.incidents.filter(title="Unrouted latency alert").exists()

    # Several people as chips.
    incident = resolved_incident(product, bob, title="Card scores drifting")
    draft = postmortem_create(
        product=product, actor=alice, data={"title": "Drift", "incidents": [incident]}
    )
    page.goto(f"{live_server.url}/postmortems/{draft.pk}/details/")
    reviewers = page.get_by_role("combobox", name="Reviewers")
    reviewers.click()
    reviewers.press_sequentially("bob", delay=20)
    listbox = page.locator(f"#{reviewers.get_attribute('aria-controls')}")
    expect(listbox.get_by_role("option")).to_have_text(
        ["Bob (bob)", "Bobby Tables (bobby)"]
    )
    reviewers.press("Enter")
    reviewers.press_sequentially("tables", delay=20)
    expect(listbox.locator("[aria-selected=true]")).to_have_text("Bobby Tables (bobby)")
    reviewers.press("Enter")
    chips = (
        page.locator(".picker-multiple").filter(has=reviewers).locator(".picker-chip")
    )
    expect(chips).to_have_text(["Bob (bob)×", "Bobby Tables (bobby)×"])
    reviewers.press("Backspace")
    expect(chips).to_have_text(["Bob (bob)×"])
    reviewers.press_sequentially("car", delay=20)
    shoot("picker-03-chips")
    reviewers.press("Escape")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved")).to_be_visible()
    draft.refresh_from_db()
    assert [u.username for u in draft.reviewers.all()] == ["bob"]
    page.goto(f"{live_server.url}/postmortems/{draft.pk}/details/")
    expect(chips).to_have_text(["Bob (bob)×"])
    shoot("picker-04-saved")
    assert console_errors == []
