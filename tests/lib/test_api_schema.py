"""The OpenAPI schema and the interactive docs."""

import re

import yaml
from django.core.management import call_command

from tracker.lib.middleware import CONTENT_SECURITY_POLICY


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/products/{slug}/ci-status/" in schema["paths"]


def test_schema_is_served_and_documents_errors_and_bearer_auth(anon, db):
    response = anon.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    post = schema["paths"]["/api/v1/products/{slug}/ci-status/"]["post"]
    assert {"200", "201", "400", "401", "403", "404", "415", "429"} <= set(
        post["responses"]
    )
    error = post["responses"]["400"]["content"]["application/json"]["schema"]
    assert error["$ref"].endswith("/Error")


def _schema(client) -> dict:
    return client.get("/api/v1/schema/?format=json").json()


def test_schema_documents_an_invalid_page_and_bad_filters(anon, db):
    """A list's page that does not exist is 404 ("Invalid page."); any GET that
    takes filters can answer 400."""
    paths = _schema(anon)["paths"]
    assert {"400", "404"} <= set(paths["/api/v1/products/"]["get"]["responses"])
    ci_status = paths["/api/v1/products/{slug}/ci-status/"]["get"]["responses"]
    assert "400" in ci_status


def test_schema_declares_fields_that_can_be_null_nullable(anon, db):
    """Read from the model (a nullable column or relation) or from the field
    (allow_null, default=None): every one that can be null says so."""
    schemas = _schema(anon)["components"]["schemas"]
    for component, field in [
        ("ProductOut", "ml_owner"),  # a nullable foreign key, shown by username
        ("MeasurementOut", "recorded_by"),
        ("IncidentOutput", "product"),  # default=None: an untriaged incident
        ("IncidentOutput", "resolved_at"),
        ("IntegrationOutput", "last_delivery_at"),
        ("ActionItemOutput", "due_date"),
    ]:
        assert schemas[component]["properties"][field].get("nullable"), field
    assert not schemas["ProductOut"]["properties"]["slug"].get("nullable")


def test_schema_says_which_inputs_refuse_unknown_fields(anon, db):
    schemas = _schema(anon)["components"]["schemas"]
    # StrictInputMixin: an unknown field is a 400.
    assert schemas["IncidentCreateInputRequest"]["additionalProperties"] is False
    assert schemas["PatchedPostmortemInputRequest"]["additionalProperties"] is False
    # DRF's default: unknown fields are ignored.
    assert "additionalProperties" not in schemas["ProductInRequest"]


def test_unknown_api_url_is_a_json_404(alice_api, db):
    response = alice_api.get("/api/v1/metrics/-1/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_docs_page_uses_vendored_assets_and_its_own_csp(anon, db):
    response = anon.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert policy != CONTENT_SECURITY_POLICY
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy  # scripts stay strict
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert not re.search(r"cdn|jsdelivr|unpkg", html)
    init = anon.get("/api/v1/docs/?script")
    assert init.status_code == 200 and "SwaggerUIBundle" in init.content.decode()


def test_other_pages_keep_the_strict_policy(alice_client, product):
    response = alice_client.get(product.get_absolute_url())
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_paged_lists_document_whether_the_count_is_exact(anon, db):
    schema = anon.get("/api/v1/schema/?format=json").json()
    paged = [
        body
        for name, body in schema["components"]["schemas"].items()
        if name.startswith("Paginated")
    ]
    assert paged
    for body in paged:
        assert body["properties"]["count_exact"]["type"] == "boolean"
        assert "count_exact" in body["required"]
