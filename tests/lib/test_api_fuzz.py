"""Property-based fuzzing of /api/v1 from its own OpenAPI schema (schemathesis):
whatever the input, the API answers without a server error.

Bounded so the whole run stays well under a minute on two cores; FUZZ_EXAMPLES
raises the examples per operation for a deeper local run. Examples are
derandomized so the suite gives the same result every time (FUZZ_RANDOM=1 to
explore new inputs).
"""

import os

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.factories import (
    FeatureFactory,
    MeasurementFactory,
    MetricFactory,
    SessionFactory,
    SLAFactory,
)
from tracker.accounts.services import token_create
from tracker.ci.services import ci_status_report
from tracker.products.models import Product

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


@pytest.fixture
def world(alice, product):
    """Real objects for the generated requests to land on, and alice's token."""
    ci_status_report(
        product=product,
        sha="abcdef1",
        context="train",
        data={"state": "success"},
        actor=None,
        token=None,
    )
    ci_token, _ = token_create(user=alice, name="ci", product=product)
    metric = MetricFactory(product=product)
    return {
        "token": token_create(user=alice, name="fuzz")[1],
        "product": product,
        "ids": {
            "metrics": metric.pk,
            "measurements": MeasurementFactory(metric=metric).pk,
            "slas": SLAFactory(product=product).pk,
            "survey": FeatureFactory(product=product).pk,
            "sessions": SessionFactory(product=product).pk,
            "ci-tokens": ci_token.pk,
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
    if "slug" in params and not path.startswith("/api/v1/teams/"):
        # Re-read: a generated PATCH may have renamed the product.
        params["slug"] = Product.objects.get(pk=world["product"].pk).slug
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


# Schemathesis' own pytest plugin does not run on pytest 9.2 yet (it sets a
# Node attribute pytest renamed), so Hypothesis drives the strategies directly:
# one test, every operation, all failures reported together.
@pytest.mark.django_db
def test_api_never_answers_with_a_server_error(api_schema, world):
    failures = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

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
            response = case.call(headers={"Authorization": f"Bearer {world['token']}"})
            case.validate_response(response, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:  # collected: one run shows every failing operation
            failures[operation.label] = exc
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
