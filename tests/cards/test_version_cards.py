"""Per-version model cards: a version may carry its own card, started as a copy
of the product's; read and edited on a page and over the API
(`GET/PUT /api/v1/model-versions/{id}/model-card/`), audited; readers cannot
write it, outsiders to a private team do not see it."""

import pytest

from tracker.accounts.models import Visibility
from tracker.audit.models import AuditEvent
from tracker.cards import services
from tracker.cards.models import VersionModelCard
from tracker.releases import services as releases


@pytest.fixture
def version(product, alice):
    services.model_card_save(
        product=product,
        data={
            "intended_use": "Hold risky card payments for review.",
            "caveats": "Small merchants are scored less well.",
        },
        actor=alice,
    )
    return releases.model_version_create(
        product=product, version="2026.08", data={}, actor=alice
    )


def _api_url(version):
    return f"/api/v1/model-versions/{version.pk}/model-card/"


def _page(version, action=""):
    return f"/products/fraud-score/versions/{version.pk}/model-card/{action}"


def test_put_creates_the_card_from_the_products_and_changes_it(
    version, alice_api, alice
):
    missing = alice_api.get(_api_url(version))
    assert missing.status_code == 404
    assert "no card of its own" in missing.json()["error"]["message"]
    created = alice_api.put(
        _api_url(version), {"caveats": "Retrained on 2026 data."}, format="json"
    )
    assert created.status_code == 200, created.json()
    body = created.json()
    assert body["version"] == "2026.08" and body["product"] == "fraud-score"
    assert body["intended_use"] == "Hold risky card payments for review."  # copied
    assert body["caveats"] == "Retrained on 2026 data."
    assert body["updated_by"] == "alice"
    assert body["html_url"].endswith(_page(version))
    changed = alice_api.put(
        _api_url(version), {"intended_users": "Risk analysts."}, format="json"
    )
    assert changed.json()["caveats"] == "Retrained on 2026 data."
    assert changed.json()["intended_users"] == "Risk analysts."
    # The product's card is its own: unchanged.
    version.product.model_card.refresh_from_db()
    assert version.product.model_card.caveats == "Small merchants are scored less well."
    assert alice_api.get(_api_url(version)).json() == changed.json()


def test_bad_input_is_a_400_naming_the_field(version, alice_api):
    response = alice_api.put(
        _api_url(version), {"model_date": "yesterday"}, format="json"
    )
    assert response.status_code == 400
    assert "model_date" in response.json()["error"]["fields"]
    unknown = alice_api.put(_api_url(version), {"owner": "x"}, format="json")
    assert unknown.status_code == 400
    assert not VersionModelCard.objects.exists()


def test_readers_cannot_write_and_outsiders_do_not_see_it(
    version, carol_api, alice_api, team
):
    alice_api.put(_api_url(version), {"caveats": "x"}, format="json")
    assert carol_api.get(_api_url(version)).status_code == 200
    assert (
        carol_api.put(_api_url(version), {"caveats": "y"}, format="json").status_code
        == 403
    )
    team.visibility = Visibility.PRIVATE
    team.save()
    assert carol_api.get(_api_url(version)).status_code == 404


def test_changes_are_audited_on_the_version(version, alice_api):
    alice_api.put(_api_url(version), {"caveats": "First."}, format="json")
    alice_api.put(_api_url(version), {"caveats": "Second."}, format="json")
    events = AuditEvent.objects.filter(object_type="cards.versionmodelcard")
    created, changed = events.order_by("id")
    assert created.action == "create" and created.via == "api"
    assert (created.parent_type, created.parent_id) == (
        "releases.modelversion",
        version.pk,
    )
    assert created.product_id == version.product_id
    assert changed.changes == {"caveats": ["First.", "Second."]}


def test_the_page_creates_shows_and_edits_the_card(version, alice_client):
    version_page = alice_client.get(version.get_absolute_url()).content.decode()
    assert "give it its own" in version_page
    page = alice_client.get(_page(version)).content.decode()
    assert "no card of its own" in page and "Create card for this version" in page
    created = alice_client.post(_page(version, "new/"))
    assert created.status_code == 302 and created.url.endswith(_page(version, "edit/"))
    form = alice_client.get(_page(version, "edit/")).content.decode()
    assert "Hold risky card payments for review." in form
    saved = alice_client.post(
        _page(version, "edit/"),
        {"intended_use": "Hold risky payments.", "caveats": "New caveat."},
    )
    assert saved.status_code == 302
    page = alice_client.get(_page(version)).content.decode()
    assert "Hold risky payments." in page and "New caveat." in page
    assert "History" in page
    version_page = alice_client.get(version.get_absolute_url()).content.decode()
    assert "Its own card" in version_page


def test_a_bad_date_on_the_page_is_a_form_error(version, alice_client):
    response = alice_client.post(_page(version, "edit/"), {"model_date": "soon"})
    assert response.status_code == 400
    assert b"Enter a valid date" in response.content
    assert not VersionModelCard.objects.exists()


def test_readers_see_no_buttons_and_get_403(version, carol_client):
    page = carol_client.get(_page(version)).content.decode()
    assert "Create card for this version" not in page
    assert carol_client.post(_page(version, "new/")).status_code == 403
    assert carol_client.get(_page(version, "edit/")).status_code == 403
    assert not VersionModelCard.objects.exists()
