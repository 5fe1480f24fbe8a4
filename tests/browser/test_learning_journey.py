"""Learning across failures in a real browser: an incident that happened
before shows the earlier fixes; the insights page with its charts and links;
the follow-up policies page with what is late."""

import pytest
from playwright.sync_api import expect

from tests.postmortems.conftest import resolved_incident
from tests.postmortems.test_learning import open_incident, publish
from tracker.postmortems.services.writeup import postmortem_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_recurrence_insights_and_policies(
    page, live_server, sign_in, shoot, product, alice, bob
):
    earlier = resolved_incident(product, bob, severity="sev1", hours_ago=24 * 20)
    earlier.fingerprint = "drift-1"
    earlier.save()
    factor = {
        "category": "data",
        "ml_kind": "upstream_data_change",
        "description": "A source renamed a column.",
    }
    publish(earlier, alice, bob, factor=factor)
    again = open_incident(product, fingerprint="drift-1", severity="sev1")
    late = resolved_incident(product, bob, severity="sev1", hours_ago=24 * 15)
    postmortem_create(
        product=product, actor=alice, data={"title": "Late one", "incidents": [late]}
    )
    sign_in("alice")

    page.goto(f"{live_server.url}{again.get_absolute_url()}")
    recurrence = page.locator("#recurrence")
    expect(
        recurrence.get_by_role("heading", name="This happened before")
    ).to_be_visible()
    expect(recurrence.get_by_text("Alert on input null rates")).to_be_visible()
    expect(recurrence.get_by_text("not done yet")).to_be_visible()
    shoot("40-incident-recurrence")

    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights across failures")).to_be_visible()
    expect(page.locator("svg").first).to_be_visible()
    shoot("41-insights")
    page.get_by_role("link", name="1 incident", exact=True).click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name="Again")).to_be_visible()

    page.goto(f"{live_server.url}/postmortems/policies/")
    expect(
        page.get_by_role("heading", name="Late against a policy (1)")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Late one")).to_be_visible()
    shoot("42-follow-up-policies")
