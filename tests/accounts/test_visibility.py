"""Team visibility: who reads a private team's products (the one rule in
tracker/products/selectors.py), the team pages and API that set it, and the
labels that show it. The route-by-route outsider matrix is in tests/security."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import (
    IncidentFactory,
    ProductFactory,
    SessionFactory,
    TeamFactory,
    UserFactory,
    staff_reader,
)
from tracker.accounts.models import CIPrincipal, Team, Visibility
from tracker.accounts.selectors import teams_visible_to
from tracker.accounts.services import token_create
from tracker.incidents.models import Incident
from tracker.postmortems.models import ActionItem
from tracker.products.models import Product
from tracker.products.selectors import (
    private_product_readers,
    product_readable_q,
    products_hidden_from,
    products_readable_by,
    readable,
)

PRIVATE = Visibility.PRIVATE


@pytest.fixture
def lab(alice, bob):
    """A private team: alice and bob are its members."""
    return TeamFactory(name="Lab", slug="lab", members=[alice, bob], visibility=PRIVATE)


@pytest.fixture
def secret(lab, alice):
    return ProductFactory(name="Secret", slug="secret", team=lab, pm_owner=alice)


def _slugs(products) -> set[str]:
    return set(products.values_list("slug", flat=True))


# --- Who reads what -------------------------------------------------------------------


def test_members_owners_staff_and_superusers_read_a_private_product(
    secret, product, alice, carol
):
    dan = UserFactory(username="dan")
    owner = UserFactory(username="olga")
    secret.eng_owner = owner
    secret.save()
    staff = UserFactory(username="sam", is_staff=True)
    root = UserFactory(username="root", is_superuser=True)
    for reader in (alice, owner, staff, root):
        assert _slugs(products_readable_by(reader)) == {"secret", "fraud-score"}
    for outsider in (carol, dan):
        assert _slugs(products_readable_by(outsider)) == {"fraud-score"}


def test_inactive_and_anonymous_people_read_nothing(secret, product, alice):
    from django.contrib.auth.models import AnonymousUser

    alice.is_active = False
    assert _slugs(products_readable_by(alice)) == set()
    assert _slugs(products_readable_by(AnonymousUser())) == set()


def test_a_ci_token_reads_its_own_private_product_and_the_organisations(
    secret, product, lab, alice
):
    other = ProductFactory(slug="other-secret", team=lab)
    token, _ = token_create(user=alice, name="ci", product=secret)
    assert _slugs(products_readable_by(CIPrincipal(token))) == {
        "secret",
        "fraud-score",
    }
    token, _ = token_create(user=alice, name="ci", product=product)
    assert other.slug not in _slugs(products_readable_by(CIPrincipal(token)))


def test_readable_filters_rows_under_products_and_keeps_unassigned_ones(
    secret, product, carol
):
    hidden = IncidentFactory(product=secret)
    shown = IncidentFactory(product=product)
    untriaged = IncidentFactory(product=None)
    incidents = Incident.objects.filter(readable(carol, "product", unassigned=True))
    assert set(incidents) == {shown, untriaged}
    assert hidden not in incidents
    assert set(Incident.objects.filter(readable(carol, "product"))) == {shown}
    everything = readable(staff_reader(), "product") | readable(carol, "product")
    assert Incident.objects.filter(everything).count() == 3


def test_the_hidden_products_are_exactly_those_not_readable(
    lab, secret, product, alice
):
    """readable() filters rows by the products hidden from the reader: for
    members, each kind of owner, outsiders and CI tokens, the hidden ones and the
    readable ones split the products."""
    owners = {kind: UserFactory(username=kind) for kind in ("pm", "ml", "eng")}
    for kind, owner in owners.items():
        ProductFactory(slug=f"{kind}-owned", team=lab, **{f"{kind}_owner": owner})
    token, _ = token_create(user=alice, name="ci", product=secret)
    readers = [alice, UserFactory(username="dan"), *owners.values(), CIPrincipal(token)]
    every = _slugs(Product.objects.all())
    for reader in readers:
        readable_ones = _slugs(Product.objects.filter(product_readable_q(reader)))
        hidden = _slugs(products_hidden_from(reader))
        assert readable_ones | hidden == every and not readable_ones & hidden
        assert _slugs(Product.objects.filter(readable(reader, "pk"))) == readable_ones


def test_readable_by_either_of_two_paths(secret, product, carol):
    """An action item comes from a postmortem or a planning session: the path
    without one never makes it readable, the other decides."""
    shown = ActionItem.objects.create(
        session=SessionFactory(product=product), description="Shown", kind="detect"
    )
    ActionItem.objects.create(
        session=SessionFactory(product=secret), description="Hidden", kind="detect"
    )
    items = ActionItem.objects.filter(
        readable(carol, "postmortem__product", "session__product")
    )
    assert list(items) == [shown]


def test_the_sweep_rule_agrees_with_the_query_rule(lab, secret, product, alice, bob):
    """private_product_readers (Python, for many people at once) and
    products_readable_by (SQL) are one rule written twice: every pair agrees."""
    owner = UserFactory(username="olga")
    ProductFactory(slug="owned", team=lab, ml_owner=owner)
    people = [alice, bob, owner, UserFactory(username="dan")]
    products = list(products_readable_by(staff_reader()))
    private = private_product_readers([p.pk for p in products], [u.pk for u in people])
    for person in people:
        by_query = set(products_readable_by(person).values_list("pk", flat=True))
        by_sweep = {
            p.pk for p in products if p.pk not in private or person.pk in private[p.pk]
        }
        assert by_query == by_sweep, person.username


def test_product_list_queries_do_not_grow_with_private_teams(
    carol_client, product, django_assert_num_queries, lab
):
    carol_client.get("/products/")
    with django_assert_num_queries(6) as baseline:
        carol_client.get("/products/")
    for n in range(5):
        ProductFactory(slug=f"hidden-{n}", team=lab)
    with django_assert_num_queries(len(baseline.captured_queries)):
        html = carol_client.get("/products/").content.decode()
    assert "hidden-" not in html and "Fraud score" in html


# --- Pages ------------------------------------------------------------------------


def test_team_pages_show_a_private_team_to_members_and_staff_only(
    lab, secret, alice, carol, client
):
    client.force_login(carol)
    assert b"Lab" not in client.get("/accounts/teams/").content
    assert client.get("/accounts/teams/lab/").status_code == 404
    client.force_login(UserFactory(username="sam", is_staff=True))
    assert client.get("/accounts/teams/lab/").status_code == 200
    client.force_login(alice)
    listing = client.get("/accounts/teams/").content.decode()
    assert 'Lab</a> <span class="badge private"' in listing
    page = client.get("/accounts/teams/lab/").content.decode()
    assert "Secret" in page and 'name="visibility"' in page


def test_members_set_the_visibility_on_the_team_page(lab, bob_client):
    response = bob_client.post(
        "/accounts/teams/lab/visibility/", {"visibility": "organisation"}
    )
    assert response.status_code == 302
    assert Team.objects.get(slug="lab").visibility == Visibility.ORGANISATION


def test_staff_set_the_visibility_without_being_members(team, client):
    client.force_login(UserFactory(username="sam", is_staff=True))
    client.post("/accounts/teams/risk/visibility/", {"visibility": "private"})
    assert Team.objects.get(slug="risk").visibility == PRIVATE


def test_a_bad_visibility_is_a_form_error_and_changes_nothing(lab, alice_client):
    response = alice_client.post(
        "/accounts/teams/lab/visibility/", {"visibility": "everyone"}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert Team.objects.get(slug="lab").visibility == PRIVATE


def test_outsiders_cannot_set_the_visibility(team, lab, carol_client):
    page = carol_client.get("/accounts/teams/risk/").content
    assert b'name="visibility"' not in page
    url = "/accounts/teams/{}/visibility/"
    assert (
        carol_client.post(url.format("risk"), {"visibility": "private"}).status_code
        == 403
    )
    assert (
        carol_client.post(url.format("lab"), {"visibility": "private"}).status_code
        == 404
    )
    assert Team.objects.get(slug="risk").visibility == Visibility.ORGANISATION


def test_private_products_are_labelled(secret, alice_client):
    page = alice_client.get("/products/secret/").content.decode()
    assert '<span class="badge private"' in page


def test_an_owner_outside_the_team_reads_and_edits_a_private_product(secret, client):
    owner = UserFactory(username="olga")
    secret.ml_owner = owner
    secret.save()
    client.force_login(owner)
    assert client.get("/products/secret/").status_code == 200
    assert client.get("/products/secret/edit/").status_code == 200
    assert client.get("/accounts/teams/lab/").status_code == 404  # not a member


def test_staff_read_a_private_product_but_only_its_people_change_it(secret, client):
    client.force_login(UserFactory(username="sam", is_staff=True))
    assert client.get("/products/secret/").status_code == 200
    assert client.get("/products/secret/edit/").status_code == 403


# --- Badges -----------------------------------------------------------------------


def test_a_badge_made_public_stays_public_for_a_private_team(secret, carol_client):
    assert Client().get("/products/secret/badge.svg").status_code == 404
    assert carol_client.get("/products/secret/badge.svg").status_code == 404
    secret.badge_public = True
    secret.save()
    assert Client().get("/products/secret/badge.svg").status_code == 200
    assert carol_client.get("/products/secret/badge.svg").status_code == 200


# --- API --------------------------------------------------------------------------


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t')[1]}"
    )
    return client


def test_api_lists_visibility_and_hides_private_teams(team, lab, alice, carol):
    names = [t["slug"] for t in _api(carol).get("/api/v1/teams/").json()["results"]]
    assert names == ["risk"]
    body = _api(alice).get("/api/v1/teams/lab/").json()
    assert body["visibility"] == "private"
    assert _api(carol).get("/api/v1/teams/lab/").status_code == 404


def test_api_members_set_the_visibility(lab, bob):
    response = _api(bob).patch(
        "/api/v1/teams/lab/", {"visibility": "organisation"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["visibility"] == "organisation"
    assert Team.objects.get(slug="lab").visibility == Visibility.ORGANISATION


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": "everyone"}, "visibility"),
        ({"name": "x"}, "name"),
    ],
)
def test_api_bad_visibility_input_is_a_400_with_the_field(lab, alice, body, field):
    response = _api(alice).patch("/api/v1/teams/lab/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Team.objects.get(slug="lab").visibility == PRIVATE


def test_api_outsiders_cannot_set_the_visibility(team, lab, carol):
    api = _api(carol)
    body = {"visibility": "private"}
    assert api.patch("/api/v1/teams/risk/", body, format="json").status_code == 403
    assert api.patch("/api/v1/teams/lab/", body, format="json").status_code == 404
    assert Team.objects.get(slug="risk").visibility == Visibility.ORGANISATION


def test_teams_visible_to_an_outsider(team, lab, carol):
    assert list(teams_visible_to(carol).values_list("slug", flat=True)) == ["risk"]
