"""On a phone (390 px wide), every main page fits the screen: the menu wraps on
its own row, filters go two to a row, and a wide table scrolls inside its card
instead of widening the page (which would make every line scroll sideways)."""

import pytest

from tracker.demo.seed import seed_demo
from tracker.incidents.models import Incident
from tracker.postmortems.models import Postmortem

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The page's width beyond the screen's; 0 when nothing sticks out.
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def test_main_pages_fit_a_phone_screen(page, live_server, sign_in, shoot):
    seed_demo()
    sign_in("alice", "tracker-demo")
    page.set_viewport_size(PHONE)
    incident = Incident.objects.filter(product__slug="fraud-score").first()
    postmortem = Postmortem.objects.filter(product__slug="fraud-score").first()
    paths = [
        "/products/",
        "/products/fraud-score/",
        "/products/fraud-score/metrics/",
        "/products/fraud-score/delivery/",
        "/products/fraud-score/work/",
        "/incidents/",
        incident.get_absolute_url(),
        "/postmortems/",
        postmortem.get_absolute_url(),
        "/postmortems/library/?q=drift",
        "/action-items/",
        "/me/",
        "/notifications/",
        "/integrations/",
        "/reports/portfolio/",
        "/insights/",
        "/search/?q=drift",
    ]
    wider = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(OVERFLOW)
        if overflow > 0:
            wider[path] = overflow
    assert wider == {}, f"pages wider than a phone's screen (px too wide): {wider}"
    page.goto(f"{live_server.url}/reports/portfolio/")
    # The menu is one row of its own, under the brand, not a column beside it.
    brand = page.locator(".brand").bounding_box()
    menu = page.locator(".mainnav").bounding_box()
    assert menu["y"] >= brand["y"] + brand["height"]
    assert menu["width"] > PHONE["width"] * 0.8
    shoot("70-phone-portfolio")
    # A postmortem's timeline stacks each moment, its text as wide as the card.
    page.goto(f"{live_server.url}{postmortem.get_absolute_url()}")
    texts = page.locator("#timeline .moment-text")
    assert texts.count() > 0
    for box in (texts.nth(i).bounding_box() for i in range(texts.count())):
        assert box["width"] > PHONE["width"] / 2
    shoot("71-phone-postmortem-timeline")
