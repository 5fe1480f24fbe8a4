"""No value a user can type into a form makes a page fail: every POST answers with
the form again (field errors) or a redirect, never a server error."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLAFactory,
    TeamFactory,
    UserFactory,
)

# Text as people type it, plus the shapes that break parsers.
typed = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e309",
            "nan",
            "inf",
            "9" * 30,
            "2026-02-30",
            "2026-01-01T25:61",
            "1d 99h",
            "<script>",
            "' OR 1=1 --",
            "\x00",
        ]
    ),
)

FIELDS = {
    "create": ["name", "slug", "team", "stage", "risk_tier", "pm_owner", "summary"],
    "metric_create": [
        "name",
        "kind",
        "direction",
        "baseline",
        "baseline_at",
        "target",
        "target_date",
        "cadence_days",
        "owner",
    ],
    "metric_detail": ["value", "measured_at", "note"],
    "sla_create": [
        "name",
        "indicator",
        "comparator",
        "threshold",
        "window_days",
        "objective",
    ],
    "sla_detail": ["value", "checked_at"],
    "survey_create": [
        "feature",
        "source_kind",
        "available_in_production",
        "computation",
        "freshness_needed",
        "freshness_actual",
        "skew_risk",
        "quality_validity",
    ],
    "session_create": ["title", "held_at", "attendees"],
    "session_notes": ["decisions", "open_questions", "notes"],
    "stage": ["stage", "note"],
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        user = UserFactory(username="fuzzer")
        team = TeamFactory(slug="fuzz-team", members=[user])
        product = ProductFactory(slug="fuzzed", team=team, pm_owner=user)
        metric = MetricFactory(product=product)
        sla = SLAFactory(product=product)
        session = SessionFactory(product=product)
        yield {
            "user": user,
            "product": product,
            "metric": metric,
            "sla": sla,
            "session": session,
        }
        for obj in (product, team, user):
            obj.delete()


def _path(name, world):
    slug = world["product"].slug
    ids = {
        "metric_detail": world["metric"].pk,
        "sla_detail": world["sla"].pk,
        "session_notes": world["session"].pk,
    }
    if name == "create":
        return "/products/new/"
    suffix = {
        "metric_create": "metrics/new/",
        "metric_detail": f"metrics/{ids['metric_detail']}/",
        "sla_create": "slas/new/",
        "sla_detail": f"slas/{ids['sla_detail']}/",
        "survey_create": "survey/new/",
        "session_create": "sessions/new/",
        "session_notes": f"sessions/{ids['session_notes']}/notes/",
        "stage": "stage/",
    }[name]
    return f"/products/{slug}/{suffix}"


@pytest.mark.parametrize("form", sorted(FIELDS))
def test_no_typed_value_gives_a_server_error(world, form):
    client = Client(raise_request_exception=False)
    client.force_login(world["user"])
    path = _path(form, world)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(st.fixed_dictionaries({field: typed for field in FIELDS[form]}))
    def post(data):
        response = client.post(path, data)
        assert response.status_code in {200, 302, 400}, (data, response.status_code)

    post()
