from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    MeasurementFactory,
    MetricFactory,
    ProductFactory,
    SessionFactory,
    SLAFactory,
    TeamFactory,
    survey_form,
)
from tracker.products.models import (
    FeatureSource,
    Measurement,
    Product,
    ServiceLevel,
    SLACheck,
    SuccessMetric,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"products:{name}", args=args)


# --- Reading -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "create"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_page_signs_in(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "password"}
    )
    assert response.status_code == 302
    assert client.get(url("list")).status_code == 200


def test_empty_list_invites_to_create(alice_client, team):
    response = alice_client.get(url("list"))
    assert b"No products yet." in response.content
    assert b"Create the first product" in response.content


def test_list_filters_by_team_stage_owner_and_text(
    alice_client, team, other_team, alice
):
    ProductFactory(name="Fraud score", team=team, stage="pilot", pm_owner=alice)
    ProductFactory(name="Churn", team=other_team, summary="cancellations")
    cases = {
        "team=elsewhere": [b"Churn"],
        "stage=pilot": [b"Fraud score"],
        "owner=alice": [b"Fraud score"],
        "q=cancel": [b"Churn"],
    }
    for query, expected in cases.items():
        content = alice_client.get(f"{url('list')}?{query}").content
        for name in (b"Fraud score", b"Churn"):
            assert (name in content) == (name in expected), query


def test_list_reports_bad_filter_values_instead_of_failing(alice_client, product):
    response = alice_client.get(url("list") + "?stage=shipped&team=nope")
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content


def test_list_htmx_request_gets_only_the_rows(alice_client, product):
    response = alice_client.get(url("list"), headers={"HX-Request": "true"})
    assert b"<table" in response.content
    assert b"<html" not in response.content


def test_list_paginates(alice_client, team):
    for n in range(30):
        ProductFactory(name=f"P{n:02}", team=team)
    first = alice_client.get(url("list")).content
    second = alice_client.get(url("list") + "?page=2").content
    assert b"P00" in first and b"P29" not in first
    assert b"P29" in second
    assert alice_client.get(url("list") + "?page=junk").status_code == 200


def _fill(team, n):
    for _ in range(n):
        product = ProductFactory(team=team)
        MetricFactory(product=product)
        SLAFactory(product=product)
        FeatureFactory(product=product, available_in_production="no")


def test_list_query_count_does_not_grow_with_products(
    alice_client, team, django_assert_num_queries
):
    _fill(team, 2)
    # 5 for the page, 1 for the unread count of the bell in the top bar (the
    # team filter is a picker: no list of teams).
    with django_assert_num_queries(6) as small:
        alice_client.get(url("list"))
    _fill(team, 12)
    with django_assert_num_queries(len(small.captured_queries)):
        alice_client.get(url("list"))


# --- Writing ------------------------------------------------------------------


def product_form(team, **overrides):
    data = {
        "name": "Churn warning",
        "slug": "churn-warning",
        "team": team.pk,
        "stage": "discovery",
        "risk_tier": "medium",
    }
    return data | overrides


def test_member_creates_a_product(alice_client, team):
    response = alice_client.post(url("create"), product_form(team))
    product = Product.objects.get(slug="churn-warning")
    assert (
        response.status_code == 302
        and response["Location"] == product.get_absolute_url()
    )
    assert product.stage == "discovery"


def test_creating_in_someone_elses_team_is_refused(alice_client, team, other_team):
    response = alice_client.post(url("create"), product_form(other_team))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Product.objects.exists()


def test_user_without_team_cannot_create(client, carol):
    client.force_login(carol)
    assert client.get(url("create")).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"slug": "Not a slug!"}, "slug", "Enter a valid “slug”"),
        ({"stage": "shipped"}, "stage", "Select a valid choice"),
        ({"stage": "production"}, "stage", "Select a valid choice"),
        ({"risk_tier": "critical"}, "worst_case_matters", "Critical-risk products"),
        ({"name": "x" * 500}, "name", "at most 200 characters"),
    ],
)
def test_bad_product_input_gives_field_errors_and_saves_nothing(
    alice_client, team, overrides, field, message
):
    response = alice_client.post(url("create"), product_form(team, **overrides))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert not Product.objects.exists()


def test_duplicate_slug_is_a_field_error(alice_client, team, product):
    response = alice_client.post(url("create"), product_form(team, slug=product.slug))
    assert "already exists" in str(response.context["form"].errors["slug"])
    assert Product.objects.count() == 1


def test_member_edits_and_outsider_is_refused(
    bob_client, product, team, client, carol, other_team
):
    data = product_form(team, name="Renamed", slug=product.slug)
    assert bob_client.post(url("edit", product.slug), data).status_code == 302
    product.refresh_from_db()
    assert product.name == "Renamed"
    client.force_login(carol)
    assert (
        client.post(url("edit", product.slug), data | {"name": "Hijack"}).status_code
        == 403
    )
    assert client.get(url("edit", product.slug)).status_code == 403
    product.refresh_from_db()
    assert product.name == "Renamed"


def test_stage_move_is_recorded_with_its_note(alice_client, product, alice):
    alice_client.post(url("stage", product.slug), {"stage": "building", "note": "Go"})
    product.refresh_from_db()
    assert product.stage == "building"
    change = product.stage_changes.last()
    assert (change.to_stage, change.note, change.changed_by) == (
        "building",
        "Go",
        alice,
    )


def test_moving_to_production_with_failing_readiness_asks_and_records_override(
    alice_client, product, alice
):
    response = alice_client.post(
        url("stage", product.slug), {"stage": "production", "note": "Go"}
    )
    assert response.status_code == 409
    assert "is not ready for production" in response.content.decode()
    product.refresh_from_db()
    assert product.stage == "proposed"

    data = {"stage": "production", "note": "Go", "override": "1"}
    alice_client.post(url("stage", product.slug), data)
    product.refresh_from_db()
    assert product.stage == "production" and product.launched_at
    change = product.stage_changes.last()
    assert (change.to_stage, change.note, change.changed_by) == (
        "production",
        "Go",
        alice,
    )


def test_outsider_cannot_move_stage(carol_client, product):
    assert (
        carol_client.post(url("stage", product.slug), {"stage": "retired"}).status_code
        == 403
    )
    product.refresh_from_db()
    assert product.stage == "proposed"


def metric_form(**overrides):
    data = {
        "name": "Chargebacks",
        "kind": "business_kpi",
        "direction": "lower",
        "baseline": "410",
        "baseline_at": "2026-01-10",
        "target": "290",
        "cadence_days": "30",
        "unit": "EUR k",
    }
    return data | overrides


def test_member_adds_a_kpi_with_baseline(alice_client, product):
    response = alice_client.post(url("metric_create", product.slug), metric_form())
    metric = SuccessMetric.objects.get()
    assert response["Location"] == metric.get_absolute_url()
    assert (metric.baseline, metric.target, metric.direction) == (410, 290, "lower")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"baseline": "abc"}, "baseline"),
        ({"baseline": "nan"}, "baseline"),
        ({"baseline_at": ""}, "baseline_at"),
        ({"target": "410"}, "target"),
        ({"cadence_days": "0"}, "cadence_days"),
        ({"cadence_days": "9999"}, "cadence_days"),
        ({"kind": "vanity"}, "kind"),
        ({"baseline_at": "2026-02-31"}, "baseline_at"),
    ],
)
def test_bad_metric_input_gives_field_errors(alice_client, product, overrides, field):
    response = alice_client.post(
        url("metric_create", product.slug), metric_form(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not SuccessMetric.objects.exists()


def test_duplicate_metric_name_is_a_field_error(alice_client, product):
    MetricFactory(product=product, name="Chargebacks")
    response = alice_client.post(url("metric_create", product.slug), metric_form())
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert SuccessMetric.objects.count() == 1


def test_outsider_cannot_add_metrics(carol_client, product):
    response = carol_client.post(url("metric_create", product.slug), metric_form())
    assert response.status_code == 403
    assert not SuccessMetric.objects.exists()


def test_outsider_cannot_record_or_delete_measurements(carol_client, product):
    metric = MetricFactory(product=product)
    measurement = MeasurementFactory(metric=metric)
    path = url("metric_detail", product.slug, metric.pk)
    assert (
        carol_client.post(
            path, {"value": "1", "measured_at": "2026-01-01T10:00"}
        ).status_code
        == 403
    )
    delete = url("measurement_delete", product.slug, metric.pk, measurement.pk)
    assert carol_client.post(delete).status_code == 403
    assert Measurement.objects.count() == 1


def test_member_deletes_a_measurement(bob_client, product):
    measurement = MeasurementFactory(metric=MetricFactory(product=product))
    delete = url(
        "measurement_delete", product.slug, measurement.metric_id, measurement.pk
    )
    assert bob_client.post(delete).status_code == 302
    assert not Measurement.objects.exists()


def test_sla_and_check_round_trip(alice_client, product):
    alice_client.post(
        url("sla_create", product.slug),
        {
            "name": "Latency",
            "indicator": "latency_p99_ms",
            "comparator": "lte",
            "threshold": "80",
            "window_days": "28",
            "objective": "99",
        },
    )
    sla = ServiceLevel.objects.get()
    alice_client.post(
        url("sla_detail", product.slug, sla.pk),
        {"value": "95", "checked_at": timezone.now().strftime("%Y-%m-%dT%H:%M")},
    )
    check = SLACheck.objects.get()
    assert not check.passed
    content = alice_client.get(sla.get_absolute_url()).content.decode()
    assert "breached" in content and "0.0%" in content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"objective": "0"}, "objective"),
        ({"objective": "101"}, "objective"),
        ({"window_days": "0"}, "window_days"),
        ({"threshold": ""}, "threshold"),
        ({"comparator": "eq"}, "comparator"),
    ],
)
def test_bad_sla_input_gives_field_errors(alice_client, product, overrides, field):
    data = {
        "name": "Latency",
        "indicator": "latency_p99_ms",
        "comparator": "lte",
        "threshold": "80",
        "window_days": "28",
        "objective": "99",
    } | overrides
    response = alice_client.post(url("sla_create", product.slug), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not ServiceLevel.objects.exists()


def test_member_fills_a_survey_row_and_sees_it_flagged(alice_client, product):
    response = alice_client.post(url("survey_create", product.slug), survey_form())
    assert response.status_code == 302
    feature = FeatureSource.objects.get()
    assert feature.freshness_actual == timedelta(hours=1)
    content = alice_client.get(url("survey", product.slug)).content.decode()
    assert "card_velocity_1h" in content and "staler than needed" in content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"freshness_needed": "soon"}, "freshness_needed"),
        ({"freshness_actual": "-5m"}, "freshness_actual"),
        ({"available_in_production": "maybe"}, "available_in_production"),
        ({"quality_validity": "excellent"}, "quality_validity"),
        ({"feature": ""}, "feature"),
    ],
)
def test_bad_survey_input_gives_field_errors(alice_client, product, overrides, field):
    response = alice_client.post(
        url("survey_create", product.slug), survey_form(**overrides)
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not FeatureSource.objects.exists()


def test_survey_feature_edit_and_duplicate(alice_client, product):
    feature = FeatureFactory(product=product, feature="a")
    FeatureFactory(product=product, feature="b")
    path = url("survey_edit", product.slug, feature.pk)
    response = alice_client.post(path, survey_form(feature="b"))
    assert "feature" in response.context["form"].errors
    assert alice_client.post(path, survey_form(feature="a2")).status_code == 302
    feature.refresh_from_db()
    assert feature.feature == "a2"


def test_outsider_cannot_write_sessions_or_survey(carol_client, product):
    session = SessionFactory(product=product)
    for path in (
        url("session_create", product.slug),
        url("session_notes", product.slug, session.pk),
        url("session_survey_add", product.slug, session.pk),
        url("survey_create", product.slug),
        url("sla_create", product.slug),
    ):
        assert carol_client.post(path, {"title": "x"}).status_code == 403, path


def test_team_pages(alice_client, team, product):
    assert b"Risk" in alice_client.get(reverse("accounts:team_list")).content
    content = alice_client.get(team.get_absolute_url()).content
    assert b"Fraud score" in content and b"alice" in content
    assert (
        alice_client.get(reverse("accounts:team_detail", args=["x"])).status_code == 404
    )


def test_pages_carry_a_content_security_policy(alice_client, product):
    policy = alice_client.get(product.get_absolute_url())["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_team_factory_members_are_members():
    team = TeamFactory()
    assert team.members.count() == 0


def test_out_of_range_ids_are_field_errors_not_crashes(alice_client, product, team):
    huge = "9" * 30
    response = alice_client.post(
        url("session_create", product.slug),
        {"title": "Kick-off", "held_at": "2026-03-01T10:00", "attendees": [huge]},
    )
    assert "attendees" in response.context["form"].errors
    data = product_form(team) | {"team": huge, "pm_owner": huge}
    response = alice_client.post(url("create"), data)
    errors = response.context["form"].errors
    assert "team" in errors and "pm_owner" in errors
