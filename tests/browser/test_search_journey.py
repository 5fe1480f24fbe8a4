"""The global search and the action items page in a real browser: "/" focuses
the header's box, Enter shows the results by kind; on /action-items/ ticking
rows and reassigning them changes those alice may change and names the one she
may not."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ProductFactory, UserFactory
from tests.picking import pick
from tests.search.conftest import fraud_world
from tracker.postmortems.models import ActionItem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_press_slash_and_search(page, live_server, sign_in, shoot, product, alice):
    fraud_world(product, alice, prefix="Open")
    UserFactory(username="fraser", first_name="Fraser", last_name="Fraud")
    alice.is_staff = True  # the fullest header: staff have two more links
    alice.save()

    sign_in("alice")
    box = page.get_by_role("searchbox", name="Search everything")
    expect(box).not_to_be_focused()
    page.keyboard.press("/")
    expect(box).to_be_focused()
    shoot("60-search-box-focused")
    page.keyboard.type("fraud")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/search/?q=fraud")
    for heading in ("Products", "Incidents", "Postmortems", "Action items", "People"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Fraser Fraud")).to_be_visible()
    shoot("61-search-results")

    # Typing "/" in a field types it: the shortcut is not taken there.
    field = page.get_by_label("Search for")
    field.fill("")
    field.type("a/b")
    expect(field).to_have_value("a/b")

    page.get_by_role("link", name="Open fraud scores spiking").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+/$"))


def test_reassign_ticked_rows(page, live_server, sign_in, shoot, product, alice, bob):
    elsewhere = ProductFactory(name="Churn", slug="churn")
    mine = fraud_world(product, alice, prefix="Ours")[2]
    second = fraud_world(product, alice, prefix="Also ours")[2]
    theirs = fraud_world(elsewhere, bob, prefix="Theirs")[2]
    ActionItem.objects.filter(pk=theirs.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )

    sign_in("alice")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Action items"
    ).click()
    expect(page.get_by_role("heading", name="Action items")).to_be_visible()
    expect(page.get_by_text("overdue", exact=True)).to_be_visible()
    shoot("62-action-items")

    for item in (mine, second, theirs):
        page.get_by_label(f"Tick: {item.description}").check()
    page.get_by_label("With the rows ticked").select_option("reassign")
    expect(page.get_by_label("New due date")).to_be_hidden()
    # The new owner is found as one types, as every person picker is.
    pick(page.get_by_label("New owner"), "bob")
    shoot("63-action-items-ticked")
    page.get_by_role("button", name="Apply to ticked rows").click()

    expect(page.get_by_text("Reassigned 2 action items.")).to_be_visible()
    expect(
        page.get_by_text(f"Not changed: #{theirs.pk} “Theirs fraud alert on latency”")
    ).to_be_visible()
    shoot("64-action-items-reassigned")
    owners = dict(ActionItem.objects.values_list("pk", "owner__username"))
    assert (owners[mine.pk], owners[second.pk], owners[theirs.pk]) == (
        "bob",
        "bob",
        None,
    )
