"""Property-based fuzzing of /api/v1 from its own OpenAPI schema (schemathesis):
whatever the input, the API answers without a server error, and every answer is
one the schema documents: its status code, its content type and its body.

Run as a person and as a product's CI token. Bounded so the run stays within a
couple of minutes on two cores; FUZZ_EXAMPLES raises the examples per operation
for a deeper local run. Examples are derandomized so the suite gives the same
result every time (FUZZ_RANDOM=1 to explore new inputs).
"""

import os
from collections import Counter, defaultdict

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from tests.factories import (
    FeatureFactory,
    IncidentFactory,
    MeasurementFactory,
    MetricFactory,
    SessionFactory,
    SLAFactory,
)
from tracker.accounts.services import token_create
from tracker.ci.services import ci_status_report
from tracker.incidents.services.incidents import integration_create
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create
from tracker.products.models import Product

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def world(alice, product, team):
    """Real objects for the generated requests to land on (with the empty,
    nullable fields a schema must admit), and a person's and a CI token."""
    ci_status_report(
        product=product,
        sha="abcdef1",
        context="train",
        data={"state": "success"},
        actor=None,
        token=None,
    )
    ci_token, ci_raw = token_create(user=alice, name="ci", product=product)
    metric = MetricFactory(product=product)
    untriaged = IncidentFactory(product=None)
    integration, _ = integration_create(
        actor=alice, data={"name": "Alertmanager", "kind": "alertmanager"}
    )
    postmortem = postmortem_create(
        product=product,
        actor=alice,
        data={"title": "Drift", "incidents": [IncidentFactory(product=product)]},
    )
    item = action_item_create(
        actor=alice,
        data={"description": "Alert on drift", "kind": "detect"},
        postmortem=postmortem,
    )
    return {
        "tokens": {"person": token_create(user=alice, name="fuzz")[1], "ci": ci_raw},
        "product": product,
        "team": team.slug,
        "ids": {
            "metrics": metric.pk,
            "measurements": MeasurementFactory(metric=metric).pk,
            "slas": SLAFactory(product=product).pk,
            "survey": FeatureFactory(product=product).pk,
            "sessions": SessionFactory(product=product).pk,
            "ci-tokens": ci_token.pk,
            "incidents": untriaged.pk,
            "integrations": integration.pk,
            "postmortems": postmortem.pk,
            "action-items": item.pk,
        },
    }


@pytest.fixture
def api_schema(world, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    # Thousands of requests in a minute must not be throttled.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(["api", "ci", "auth"], "100000/min"),
    }
    # The app runs in this thread on the test's connection, inside the test's
    # transaction: Django must not close that connection between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/schema/?format=json", get_wsgi_application()
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _aim_at_real_objects(case, world) -> None:
    """Point generated ids and slugs at existing objects, so the bodies reach
    validation and services instead of stopping at a 404."""
    params = case.path_parameters or {}
    path = case.operation.path
    if "slug" in params:
        # Re-read: a generated PATCH may have renamed the product.
        params["slug"] = (
            world["team"]
            if path.startswith("/api/v1/teams/")
            else Product.objects.get(pk=world["product"].pk).slug
        )
    # The collection named just before "{id}": metrics, slas, survey, ...
    collection = path.split("/{id}")[0].rsplit("/", 1)[-1]
    if "id" in params and collection in world["ids"]:
        params["id"] = world["ids"][collection]
    if "measurement_id" in params:
        params["measurement_id"] = world["ids"]["measurements"]


def _cases(operation):
    """Inputs that match the schema and inputs that break it."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes))


def _fuzz(operation, world, token: str, counts: Counter, failures: dict) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=_cases(operation))
    def fuzz(case):
        _aim_at_real_objects(case, world)
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        counts["cases"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:  # every failing case counted, none hidden
            counts["failed"] += 1
            for failure in group.exceptions:
                failures[operation.label].add(f"{failure.title}: {failure.message}")

    fuzz()


# Schemathesis' own pytest plugin does not run on pytest 9.2 yet (it sets a
# Node attribute pytest renamed), so Hypothesis drives the strategies directly:
# one test per kind of token, every operation, all failures reported together.
@pytest.mark.django_db
@pytest.mark.parametrize("who", ["person", "ci"])
def test_every_answer_is_one_the_schema_documents(api_schema, world, who):
    counts, failures = Counter(), defaultdict(set)
    for result in api_schema.get_all_operations():
        counts["operations"] += 1
        _fuzz(result.ok(), world, world["tokens"][who], counts, failures)
    print(f"fuzz as {who}: {dict(counts)}")
    assert counts["operations"] >= 60 and counts["cases"] >= counts["operations"]
    assert not failures, "\n".join(
        f"{label}: {message}" for label, found in failures.items() for message in found
    )
