"""The product page's labels in a real browser: the owners badge says what
"aligned" means, the survey badge follows the readiness rule, the ML Test
Score carries its scale, and moving into production with failing readiness
items is a separate, reasoned override."""

import pytest
from playwright.sync_api import expect

from tests.factories import FeatureFactory
from tests.readiness.test_readiness import rated
from tracker.readiness.models import GateOverride

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_labels_and_the_stage_override(
    page, live_server, sign_in, shoot, product, alice, bob
):
    product.pm_owner, product.ml_owner, product.eng_owner = alice, alice, bob
    product.save()
    rated(FeatureFactory(product=product, feature="merchant_category"))
    rated(
        FeatureFactory(
            product=product, feature="device_risk", available_in_production="partial"
        )
    )
    sign_in("alice")
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    owners = page.locator("section[aria-labelledby=owners-h] .cardhead .badge")
    expect(owners).to_have_text("one person in several roles")
    expect(owners).to_have_attribute(
        "title",
        "Aligned owners: PM / business, ML and "
        "engineering are three different people, or the team has accepted that one "
        "person holds several roles.",
    )
    expect(page.get_by_text("ML Test Score 0 / 7")).to_be_visible()
    shoot("labels-1-product")
    page.get_by_role("link", name="Data survey").click()
    survey = page.locator(".pagehead .lead .badge").first
    expect(survey).to_have_text("1 not in production")
    page.get_by_role("link", name="Overview").click()

    page.get_by_text("Move to another stage").click()
    page.locator("#id_stage").select_option("production")
    page.get_by_role("button", name="Move", exact=True).click()
    zone = page.locator("section.danger-zone")
    expect(zone).to_contain_text("Exceptional: this moves")
    expect(page.get_by_role("textbox", name="Why move on now?")).to_be_visible()
    shoot("labels-2-override")
    zone.get_by_role("button", name="Override and move to production").click()
    expect(zone.get_by_role("alert")).to_contain_text("Say why it moves on")
    assert not GateOverride.objects.exists()
    page.get_by_role("textbox", name="Why move on now?").fill(
        "The pilot met its KPI; the SLA is being written this week."
    )
    zone.get_by_role("button", name="Override and move to production").click()
    expect(page.get_by_text("Moved to Production.")).to_be_visible()
    assert GateOverride.objects.get().stage_change.note.startswith("The pilot met")
