"""A version's page: editors approve it and set its aliases (an alias on another
version moves, as in the API); others cannot; both are in the audit trail."""

import pytest

from tests.factories import ProductFactory
from tracker.audit.models import AuditEvent
from tracker.releases import services
from tracker.releases.models import ModelAlias

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def versions(product, alice):
    return [
        services.model_version_create(product=product, version=v, data={}, actor=alice)
        for v in ("1.0", "2.0")
    ]


def _aliases(product) -> dict[str, str]:
    rows = ModelAlias.objects.filter(product=product)
    return dict(rows.values_list("alias", "version__version"))


def _url(version, action=""):
    return version.get_absolute_url() + (f"{action}/" if action else "")


def test_an_editor_approves_a_version_on_its_page(versions, alice_client, alice):
    v1, _ = versions
    page = alice_client.get(_url(v1)).content.decode()
    assert "Approve version 1.0" in page
    response = alice_client.post(_url(v1, "approve"))
    assert response.status_code == 302
    v1.refresh_from_db()
    assert v1.approved_by == alice and v1.approved_at == NOW
    page = alice_client.get(_url(v1)).content.decode()
    assert "Approve version 1.0" not in page and "Approved by" in page
    # Approving again changes nothing (the first approver stays).
    alice_client.post(_url(v1, "approve"))
    event = AuditEvent.objects.filter(object_type="releases.modelversion").first()
    assert event.via == "web" and event.actor_id == alice.pk
    assert set(event.changes) == {"approved_by", "approved_at"}


def test_aliases_move_between_versions_on_the_page(versions, product, alice_client):
    v1, v2 = versions
    response = alice_client.post(_url(v1, "aliases"), {"aliases": ["champion"]})
    assert response.status_code == 302
    alice_client.post(_url(v2, "aliases"), {"aliases": ["champion", "shadow"]})
    assert _aliases(product) == {"champion": "2.0", "shadow": "2.0"}
    alice_client.post(_url(v2, "aliases"), {"aliases": ["shadow"]})
    assert _aliases(product) == {"shadow": "2.0"}
    page = alice_client.get(_url(v2)).content.decode()
    assert '<span class="badge">shadow</span>' in page
    kinds = AuditEvent.objects.filter(object_type="releases.modelalias")
    assert list(kinds.order_by("id").values_list("action", flat=True)) == [
        "create",
        "update",  # champion moved from 1.0 to 2.0
        "create",
        "delete",
    ]


def test_a_bad_alias_is_a_form_error(versions, product, alice_client):
    v1, _ = versions
    response = alice_client.post(_url(v1, "aliases"), {"aliases": ["king"]})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert _aliases(product) == {}


def test_readers_see_no_forms_and_get_403(versions, carol_client, product):
    v1, _ = versions
    page = carol_client.get(_url(v1)).content.decode()
    assert "Approve version" not in page and "Save aliases" not in page
    assert carol_client.post(_url(v1, "approve")).status_code == 403
    response = carol_client.post(_url(v1, "aliases"), {"aliases": ["champion"]})
    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.approved_by is None and _aliases(product) == {}


def test_another_products_version_under_this_slug_is_404(
    versions, alice_client, alice, team
):
    other = ProductFactory(slug="other", team=team)
    foreign = services.model_version_create(
        product=other, version="9", data={}, actor=alice
    )
    url = f"/products/fraud-score/versions/{foreign.pk}/approve/"
    assert alice_client.post(url).status_code == 404


def test_the_api_sets_aliases_moving_them(versions, product, bob_api):
    v1, v2 = versions
    url = f"/api/v1/model-versions/{v1.pk}/"
    response = bob_api.patch(url, {"aliases": ["champion"]}, format="json")
    assert response.status_code == 200 and response.json()["aliases"] == ["champion"]
    moved = bob_api.patch(
        f"/api/v1/model-versions/{v2.pk}/", {"aliases": ["champion"]}, format="json"
    )
    assert moved.json()["aliases"] == ["champion"]
    assert bob_api.get(url).json()["aliases"] == []
    bad = bob_api.patch(url, {"aliases": ["king"]}, format="json")
    assert bad.status_code == 400 and "aliases.0" in bad.json()["error"]["fields"]
    assert _aliases(product) == {"champion": "2.0"}
