"""A small organisation to search: alice's team (organisation-wide) and a
private team carol is not in, each with a product, an incident, a postmortem
and an action item that all mention fraud."""

import pytest

from tests.factories import (
    IncidentFactory,
    ProductFactory,
    SessionFactory,
    TeamFactory,
    UserFactory,
)
from tracker.accounts.models import Visibility
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create


def fraud_world(product, actor, *, prefix: str):
    """An incident, a postmortem and an action item on `product`."""
    incident = IncidentFactory(
        product=product,
        title=f"{prefix} fraud scores spiking",
        description="Latency of the scoring service doubled.",
    )
    postmortem = postmortem_create(
        product=product,
        actor=actor,
        data={"title": f"{prefix} fraud spike", "incidents": [incident]},
    )
    item = action_item_create(
        actor=actor,
        data={"description": f"{prefix} fraud alert on latency", "kind": "detect"},
        session=SessionFactory(product=product),
    )
    return incident, postmortem, item


@pytest.fixture
def world(product, alice):
    """Alice's product and its fraud things; a person called Fraser."""
    product.summary = "Scores payments for fraud."
    product.save()
    UserFactory(username="fraser", first_name="Fraser", last_name="Quinn")
    return fraud_world(product, alice, prefix="Open")


@pytest.fixture
def hidden(db, world):
    """A private team's product, with the same words: never found by carol."""
    grace = UserFactory(username="grace", first_name="Grace")
    team = TeamFactory(
        name="Ops", slug="ops", members=[grace], visibility=Visibility.PRIVATE
    )
    product = ProductFactory(name="Secret fraud", slug="secret-fraud", team=team)
    return fraud_world(product, grace, prefix="Secret")
