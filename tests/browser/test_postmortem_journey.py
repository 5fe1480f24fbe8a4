"""The postmortem journey in a real browser: open a postmortem from an
incident, write it up, see a blameless warning appear as you type and go away
once the text describes the system, add an action item, get it reviewed,
publish it and find it in the library."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.picking import pick
from tests.postmortems.conftest import resolved_incident
from tracker.postmortems.services.writeup import (
    postmortem_from_incident,
    postmortem_transition,
    postmortem_update,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECTIONS = {
    "Summary": "Card scores drifted for two hours after a retraining on a "
    "truncated dataset.",
    "Business impact": "Manual reviews doubled for two hours; about 900 customers "
    "waited for a decision.",
    "Trigger": "The weekly retraining read a partition that was still loading.",
    "Resolution": "Rolled back to the previous model; retrained on the full data.",
    "What went well": "The rollback took five minutes.",
    "What went wrong": "Nothing checked the row count of the training data.",
    "Where we got lucky": "It happened during office hours.",
    "Lessons learned": "Validate **training data volume** before training: a "
    "partition can be half-loaded.",
}


def test_write_review_and_publish_a_postmortem(
    page, live_server, sign_in, shoot, product, alice, bob
):
    incident = resolved_incident(product, bob, title="Card scores drifting")
    sign_in("alice")
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.get_by_role("button", name="Write postmortem").click()
    expect(page.get_by_role("heading", name=re.compile("Write-up"))).to_be_visible()
    expect(
        page.get_by_text("Draft started with the incident's timeline.")
    ).to_be_visible()

    # A blaming sentence: the warning appears beside the text as it is typed.
    detection = page.get_by_role("textbox", name="Detection", exact=True)
    detection.fill("Bob should have noticed the drift alert earlier.")
    warnings = page.locator("#warnings-detection")
    expect(warnings.locator("mark", has_text="should have")).to_be_visible()
    expect(warnings.locator("mark", has_text="Bob")).to_be_visible()
    expect(warnings).to_contain_text("Hindsight")
    shoot("pm-01-blameless-warning")

    # Describing the system condition instead clears it.
    detection.fill(
        "The drift alert fired 40 minutes late: its threshold was static. A "
        "row-count check on training data would have caught it before deploy."
    )
    expect(warnings.get_by_text("No blaming language here.")).to_be_visible()
    expect(warnings.locator("mark")).to_have_count(0)

    for label, text in SECTIONS.items():
        page.get_by_role("textbox", name=label, exact=True).fill(text)
    page.get_by_role("button", name="Save write-up").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Lessons learned")).to_be_visible()
    expect(
        page.locator(".prose strong", has_text="training data volume")
    ).to_be_visible()

    # An owned, dated action item, on a page of its own.
    page.locator("section#actions").get_by_role(
        "link", name="Add an action item"
    ).click()
    expect(page.get_by_role("heading", name="Add an action item")).to_be_visible()
    form = page.locator("form.form")
    form.get_by_label("Description").fill("Check the row count of training data")
    form.get_by_label("Kind").select_option("prevent")
    pick(form.get_by_label("Owner"), "alice", "Alice (alice)")
    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    form.get_by_label("Due date").fill(due)
    form.get_by_role("button", name="Add action item").click()
    expect(page.get_by_text("Action item added.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/postmortems/\d+/#actions$"))
    expect(
        page.get_by_role("cell", name=re.compile("^Check the row count"))
    ).to_be_visible()

    # A reviewer, then submit for review.
    page.get_by_role("link", name="Details & people").first.click()
    pick(page.get_by_label("Reviewers"), "bob", "Bob (bob)")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    url = page.url
    shoot("pm-02-in-review")

    # Bob reviews and publishes.
    page.get_by_role("button", name="Sign out").click()
    sign_in("bob")
    page.goto(url)
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text("Marked reviewed.")).to_be_visible()
    checklist = page.locator("ul.pm-checklist")
    expect(checklist.locator("li.fail")).to_have_count(0)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published. It is in the library now.")).to_be_visible()
    shoot("pm-03-published")

    # Anyone finds it in the library.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Postmortems"
    ).click()
    page.get_by_role("link", name="Library", exact=True).click()
    page.get_by_label("Search lessons, causes and fixes").fill("partition")
    entry = page.locator("li.lib-entry", has_text="Card scores drifting")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("half-loaded")
    shoot("pm-04-library")


def test_outsider_reads_but_cannot_edit(
    page, live_server, sign_in, product, alice, bob, carol, other_team
):

    incident = resolved_incident(product, bob)
    postmortem, _ = postmortem_from_incident(incident=incident, actor=alice)
    sign_in("carol")
    page.goto(f"{live_server.url}{postmortem.get_absolute_url()}")
    expect(page.get_by_role("heading", name=incident.title)).to_be_visible()
    expect(page.get_by_role("link", name="Edit write-up")).to_have_count(0)
    response = page.goto(f"{live_server.url}/postmortems/{postmortem.pk}/edit/")
    assert response.status == 403


def test_review_integrity_in_the_browser(
    page, live_server, sign_in, shoot, product, alice, bob
):
    """A warning blocks the review until accepted; an edit after the review
    sends it back; a published one shows no edit controls until reopened."""
    from tests.postmortems.conftest import make_ready

    incident = resolved_incident(product, bob, title="Card scores drifting")
    postmortem, _ = postmortem_from_incident(incident=incident, actor=alice)
    make_ready(postmortem, author=alice, reviewer=bob)
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={"went_wrong": "A careless change to the feature job."},
    )
    postmortem_transition(postmortem=postmortem, actor=alice, status="in_review")
    url = f"{live_server.url}{postmortem.get_absolute_url()}"

    sign_in("bob")
    page.goto(url)
    expect(page.get_by_role("button", name="Mark reviewed")).to_be_disabled()
    expect(page.locator("#review-blocked")).to_contain_text(
        "1 blameless warning neither fixed nor accepted"
    )
    shoot("pm-integrity-1-review-blocked")
    page.get_by_role("button", name="Accept as written").click()
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text("Marked reviewed.")).to_be_visible()
    shoot("pm-integrity-2-reviewed")

    # An edit after the review: back to in review, and the history says why.
    page.get_by_role("button", name="Sign out").click()
    sign_in("alice")
    page.goto(url)
    page.get_by_role("link", name="Edit write-up").click()
    page.get_by_role("textbox", name="Lessons learned", exact=True).fill(
        "Check the feature job's output before scoring."
    )
    page.get_by_role("button", name="Save write-up").click()
    expect(page.locator(".pagehead .badge.pm-in_review")).to_be_visible()
    expect(page.locator(".pm-history")).to_contain_text(
        "changed lessons learned after the review: back to in review"
    )

    postmortem_transition(postmortem=postmortem, actor=bob, status="reviewed")
    postmortem_transition(postmortem=postmortem, actor=alice, status="published")
    page.goto(url)
    expect(page.get_by_text("Published: read-only.")).to_be_visible()
    for name in ("Edit write-up", "Details & people"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    parts = page.locator("#write-up, #timeline, #factors")
    expect(parts.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    # Action items still move: the one left can be closed.
    expect(page.locator("#actions").get_by_role("button", name="Done")).to_be_visible()
    shoot("pm-integrity-3-published")

    page.get_by_text("Reopen…").click()
    page.get_by_label("Why reopen it?").fill("A second cause came to light.")
    page.get_by_role("button", name="Reopen as a draft").click()
    expect(page.get_by_text("Reopened: it is a draft again")).to_be_visible()
    expect(page.locator(".pm-history")).to_contain_text("A second cause came to light.")
    expect(page.get_by_role("link", name="Edit write-up")).to_be_visible()
    shoot("pm-integrity-4-reopened")
