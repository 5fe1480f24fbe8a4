"""The postmortem forms with pickers: what a picker submits (ids, several of
them as repeated fields or, typed without JavaScript, separated by commas) is
accepted; ids naming nothing, or something not on offer, are form errors."""

import pytest

from tests.factories import IncidentFactory, ProductFactory, UserFactory
from tracker.postmortems.models import Postmortem

pytestmark = pytest.mark.django_db


def _details(client, postmortem, **data):
    return client.post(
        f"/postmortems/{postmortem.pk}/details/",
        {"title": "Drift", "authors": [postmortem.authors.get().pk], **data},
    )


def test_the_details_page_shows_only_what_is_picked(alice_client, postmortem, bob):
    UserFactory.create_batch(30)
    postmortem.reviewers.add(bob)
    html = alice_client.get(f"/postmortems/{postmortem.pk}/details/").content.decode()
    assert html.count("<option") < 10  # the failure kinds only
    chip = f'<span class="picker-chip" data-value="{bob.pk}">Bob (bob)</span>'
    assert chip in html
    assert "user29" not in html


def test_reviewers_typed_without_javascript_separated_by_commas(
    alice_client, postmortem, bob, carol, incident
):
    response = _details(
        alice_client,
        postmortem,
        incidents=str(incident.pk),
        reviewers=f"{bob.pk}, {carol.pk}",
    )
    assert response.status_code == 302
    assert {u.username for u in postmortem.reviewers.all()} == {"bob", "carol"}


@pytest.mark.parametrize("bad", ["123456789", "bob", "-1", "9" * 30])
def test_an_unknown_reviewer_is_a_form_error(alice_client, postmortem, bad):
    response = _details(alice_client, postmortem, reviewers=bad)
    assert response.status_code == 400
    assert not postmortem.reviewers.exists()


def test_an_incident_of_another_product_is_a_form_error(
    alice_client, postmortem, product
):
    elsewhere = IncidentFactory(product=ProductFactory(team=product.team))
    response = _details(alice_client, postmortem, incidents=[elsewhere.pk])
    assert response.status_code == 400
    assert b"is not one of the available choices" in response.content
    assert elsewhere not in postmortem.incidents.all()


def test_an_inactive_owner_is_a_form_error(alice_client, postmortem):
    gone = UserFactory(username="gone", is_active=False)
    response = alice_client.post(
        f"/postmortems/{postmortem.pk}/actions/",
        {"action-description": "Check row counts", "action-owner": gone.pk},
    )
    assert response.status_code in (200, 400)
    assert b"Select a valid choice" in response.content
    assert not postmortem.action_items.exists()


def test_create_refuses_a_product_alice_may_not_change(
    alice_client, product, other_team
):
    theirs = ProductFactory(team=other_team)
    response = alice_client.post(
        "/postmortems/new/", {"product": theirs.pk, "title": "Not ours"}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not Postmortem.objects.exists()
