"""The model versions and deployments API: create, read, patch, rollbacks, and
the 400/403/404/409 cases."""

from datetime import timedelta

import pytest

from tests.conftest import bearer
from tracker.accounts.services import token_create
from tracker.releases.models import Deployment, ModelVersion

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def _versions(product):
    return f"/api/v1/products/{product.slug}/model-versions/"


def _deployments(product):
    return f"/api/v1/products/{product.slug}/deployments/"


def _create(api, product, version, **extra):
    return api.post(_versions(product), {"version": version, **extra}, format="json")


def test_member_creates_reads_and_patches_a_version(bob_api, product, alice):
    response = _create(
        bob_api,
        product,
        "1.4.0",
        code_sha="ab12cd3",
        data_snapshot="s3://data/2026-06-30",
        metrics={"auc": 0.91},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == "1.4.0"
    assert body["metrics"] == {"auc": 0.91}
    assert body["aliases"] == []
    listed = bob_api.get(_versions(product)).json()["results"]
    assert [v["version"] for v in listed] == ["1.4.0"]
    patched = bob_api.patch(
        f"/api/v1/model-versions/{body['id']}/",
        {"approved_by": "alice", "notes": "Looks good."},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["approved_by"] == "alice"
    assert patched.json()["approved_at"].startswith("2026-07-01T12:00")


def test_duplicate_version_is_409(bob_api, product):
    assert _create(bob_api, product, "2.0").status_code == 201
    response = _create(bob_api, product, "2.0")
    assert response.status_code == 409
    assert ModelVersion.objects.filter(product=product).count() == 1


def test_bad_metrics_and_version_are_400_with_fields(bob_api, product):
    response = _create(bob_api, product, "bad version!", metrics={"auc": "high"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"version", "metrics"}
    unknown = _create(bob_api, product, "1.0", colour="blue")
    assert unknown.json()["error"]["fields"] == {"colour": ["Unknown field."]}


def test_ci_token_creates_versions_of_its_own_product_only(
    ci_api, product, other_product
):
    assert _create(ci_api, product, "3.1").status_code == 201
    assert _create(ci_api, other_product, "3.1").status_code == 403
    assert not ModelVersion.objects.filter(product=other_product).exists()


def test_ci_token_of_another_product_cannot_patch_a_version(
    bob_api, product, other_product, carol
):
    version = _create(bob_api, product, "1.0").json()
    raw = token_create(user=carol, name="churn ci", product=other_product)[1]
    response = bearer(raw).patch(
        f"/api/v1/model-versions/{version['id']}/", {"notes": "x"}, format="json"
    )
    assert response.status_code == 403


def test_outsider_reads_but_cannot_write(carol_api, bob_api, product):
    version = _create(bob_api, product, "1.0").json()
    assert carol_api.get(_versions(product)).status_code == 200
    assert _create(carol_api, product, "1.1").status_code == 403
    response = carol_api.patch(
        f"/api/v1/model-versions/{version['id']}/", {"notes": "x"}, format="json"
    )
    assert response.status_code == 403


def test_private_teams_versions_do_not_exist_for_outsiders(
    carol_api, bob_api, product, team
):
    team.visibility = "private"
    team.save()
    version = _create(bob_api, product, "1.0").json()
    assert carol_api.get(_versions(product)).status_code == 404
    assert carol_api.get(f"/api/v1/model-versions/{version['id']}/").status_code == 404
    assert carol_api.get(_deployments(product)).status_code == 404


def _deploy(api, product, version, **extra):
    return api.post(_deployments(product), {"version": version, **extra}, format="json")


def test_deploying_an_older_version_is_a_rollback(bob_api, product):
    for version in ("1.0", "1.1"):
        _create(bob_api, product, version)
    # Versions are ordered by creation: 1.0 is the older one.
    ModelVersion.objects.filter(version="1.0").update(
        created_at=NOW - timedelta(days=3)
    )
    first = _deploy(
        bob_api, product, "1.0", deployed_at=(NOW - timedelta(hours=3)).isoformat()
    )
    second = _deploy(
        bob_api, product, "1.1", deployed_at=(NOW - timedelta(hours=2)).isoformat()
    )
    back = _deploy(bob_api, product, "1.0", traffic_percent=100)
    assert first.status_code == second.status_code == back.status_code == 201
    assert [first.json()["is_rollback"], second.json()["is_rollback"]] == [
        False,
        False,
    ]
    assert back.json()["is_rollback"] is True
    assert back.json()["replaced"] == second.json()["id"]
    assert back.json()["deployed_by"] == "bob"
    listed = bob_api.get(_deployments(product)).json()["results"]
    assert [d["version"] for d in listed] == ["1.0", "1.1", "1.0"]


def test_canary_does_not_replace_production(bob_api, product):
    _create(bob_api, product, "1.0")
    ModelVersion.objects.update(created_at=NOW - timedelta(days=1))
    _create(bob_api, product, "2.0")
    _deploy(bob_api, product, "2.0", environment="canary", traffic_percent=5)
    response = _deploy(bob_api, product, "1.0")
    assert response.json()["is_rollback"] is False
    assert response.json()["replaced"] is None


def test_unknown_version_in_a_deployment_is_400_naming_the_field(
    bob_api, product, other_product, carol_api
):
    carol_version = _create(carol_api, other_product, "9.9")
    assert carol_version.status_code == 201
    for version in ("4.0", "9.9", 12, None):
        response = _deploy(bob_api, product, version)
        assert response.status_code == 400, version
        assert "version" in response.json()["error"]["fields"]
    assert not Deployment.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("traffic_percent", 101),
        ("traffic_percent", -1),
        ("environment", "moon"),
        ("deployed_at", "yesterday"),
        ("is_rollback", True),
    ],
)
def test_bad_deployment_input_is_400(bob_api, product, field, value):
    _create(bob_api, product, "1.0")
    response = _deploy(bob_api, product, "1.0", **{field: value})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_ci_token_records_deployments_of_its_own_product_only(
    ci_api, product, other_product, carol_api
):
    _create(ci_api, product, "1.0")
    _create(carol_api, other_product, "1.0")
    assert _deploy(ci_api, product, "1.0").status_code == 201
    assert _deploy(ci_api, other_product, "1.0").status_code == 403
    assert ci_api.get(_deployments(product)).status_code == 403
