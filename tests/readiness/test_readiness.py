from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    MetricFactory,
    ProductFactory,
    SLACheckFactory,
    SLAFactory,
)
from tracker.cards.services import model_card_save
from tracker.products.models import QUALITY_DIMENSIONS, Product
from tracker.products.segments import segments_set
from tracker.products.services import measurement_record
from tracker.readiness import selectors, services
from tracker.readiness.models import GateOverride, MLTestResult
from tracker.readiness.rubric import SECTIONS, TESTS, interpretation

pytestmark = pytest.mark.django_db


def items(product):
    return {i.key: i for i in selectors.readiness_for_product(product).items}


def rated(feature, rating="good"):
    for dimension in QUALITY_DIMENSIONS:
        setattr(feature, f"quality_{dimension}", rating)
    feature.save()
    return feature


def ready_product(team, alice, bob, carol):
    product = ProductFactory(
        team=team,
        pm_owner=alice,
        ml_owner=bob,
        eng_owner=carol,
        simple_baseline="Velocity rules",
    )
    MetricFactory(product=product, baseline=1, target=2)
    sla = SLAFactory(product=product)
    SLACheckFactory(sla=sla, checked_at=timezone.now() - timedelta(days=2))
    rated(FeatureFactory(product=product))
    ci_report(product, "train", "success")
    return product


def ci_report(product, context, state, sha="a" * 40):
    from tracker.ci.services import ci_status_report

    return ci_status_report(
        product=product,
        sha=sha,
        context=context,
        data={"state": state},
        actor=None,
        token=None,
    )


def test_a_product_with_everything_passes_every_item(team, alice, bob, carol):
    readiness = selectors.readiness_for_product(ready_product(team, alice, bob, carol))
    assert readiness.failing == []
    # Model card and experiment: not asked at medium risk.
    assert [i.passed for i in readiness.items[-2:]] == [None, None]


def test_an_empty_product_fails_each_item_with_a_reason_and_a_fix_link(product):
    found = items(product)
    for key in ("owners", "kpi", "sla", "survey", "monitoring", "ci", "baseline"):
        assert found[key].passed is False, key
        assert found[key].detail and found[key].fix_url.startswith(
            "/products/fraud-score/"
        )
    assert found["owners"].detail == "Missing: ML, Engineering."
    assert found["survey"].detail == "No feature has been surveyed."


def test_owners_shared_without_acceptance_fail(product, alice):
    product.ml_owner = product.eng_owner = alice
    product.save()
    assert items(product)["owners"].passed is False
    product.shared_ownership_accepted = True
    product.save()
    assert items(product)["owners"].passed is True


def test_kpi_needs_both_baseline_and_target_on_a_business_kpi(product):
    MetricFactory(product=product, kind="model_metric", baseline=1, target=2)
    MetricFactory(product=product, baseline=None, target=2)
    assert items(product)["kpi"].passed is False
    MetricFactory(product=product, baseline=1, target=2)
    assert items(product)["kpi"].passed is True


@pytest.mark.parametrize(
    ("feature_kwargs", "rating", "passes", "reason"),
    [
        ({}, "good", True, "Every feature rated"),
        ({}, "unknown", False, "not rated"),
        (
            {"available_in_production": "partial"},
            "good",
            False,
            "not (fully) available",
        ),
        ({"available_in_production": "unknown"}, "good", False, "not rated"),
    ],
)
def test_survey_item(product, feature_kwargs, rating, passes, reason):
    rated(FeatureFactory(product=product, **feature_kwargs), rating)
    item = items(product)["survey"]
    assert item.passed is passes
    assert reason in item.detail


def test_monitoring_needs_a_recent_signal(product):
    sla = SLAFactory(product=product)
    SLACheckFactory(sla=sla, checked_at=timezone.now() - timedelta(days=31))
    assert items(product)["monitoring"].passed is False
    SLACheckFactory(sla=sla, checked_at=timezone.now() - timedelta(days=29))
    assert items(product)["monitoring"].passed is True


@pytest.mark.parametrize(
    ("risk_tier", "worst_case_matters", "evaluation", "expected"),
    [
        ("medium", False, "", None),
        ("high", False, "", False),
        # Text alone no longer passes: the data has to show it.
        ("critical", True, "Recall on top merchants", False),
        ("low", True, "", False),
    ],
)
def test_worst_case_item_follows_the_risk_tier(
    product, risk_tier, worst_case_matters, evaluation, expected
):
    Product.objects.filter(pk=product.pk).update(
        risk_tier=risk_tier,
        worst_case_matters=worst_case_matters,
        worst_case_evaluation=evaluation,
    )
    product.refresh_from_db()
    assert items(product)["worst_case"].passed is expected


def _floored(product, floor=0.7):
    product.risk_tier = "high"
    product.save()
    segments_set(product=product, names=["size=small", "size=large"])
    return MetricFactory(
        product=product, direction="higher", target=0.9, worst_case_floor=floor
    )


def _segment_value(metric, name, value, days_ago=1):
    return measurement_record(
        metric=metric,
        value=value,
        measured_at=timezone.now() - timedelta(days=days_ago),
        actor=None,
        segment=name,
    )


def test_worst_case_fails_without_a_floor(product):
    product.risk_tier = "high"
    product.save()
    item = items(product)["worst_case"]
    assert item.passed is False and "No metric has a worst-case floor" in item.detail


def test_worst_case_names_an_unmeasured_segment(product):
    metric = _floored(product)
    _segment_value(metric, "size=large", 0.8)
    item = items(product)["worst_case"]
    assert item.passed is False and "size=small" in item.detail


def test_worst_case_names_the_segment_failing_its_floor(product):
    metric = _floored(product)
    _segment_value(metric, "size=large", 0.8)
    _segment_value(metric, "size=small", 0.9, days_ago=5)
    _segment_value(metric, "size=small", 0.6, days_ago=1)
    item = items(product)["worst_case"]
    assert item.passed is False
    assert item.detail == f"Fails the floor: size=small on {metric.name}."


def test_worst_case_passes_when_every_latest_value_meets_the_floor(product):
    metric = _floored(product)
    _segment_value(metric, "size=large", 0.8)
    _segment_value(metric, "size=small", 0.5, days_ago=5)  # an old failure
    _segment_value(metric, "size=small", 0.7, days_ago=1)  # exactly the floor
    assert items(product)["worst_case"].passed is True


def test_a_ceiling_fails_above_it(product):
    metric = _floored(product)
    metric.direction, metric.target, metric.worst_case_floor = "lower", 0.1, 0.3
    metric.save()
    _segment_value(metric, "size=large", 0.2)
    _segment_value(metric, "size=small", 0.35)
    assert "size=small" in items(product)["worst_case"].detail


def test_high_risk_needs_a_card_with_use_scope_and_caveats(product, alice):
    product.risk_tier = "high"
    product.save()
    assert items(product)["model_card"].passed is False
    card = {"intended_use": "Hold payments.", "out_of_scope_uses": "Credit."}
    model_card_save(product=product, data=card, actor=alice)
    assert items(product)["model_card"].passed is False
    model_card_save(product=product, data={"caveats": "Small shops."}, actor=alice)
    item = items(product)["model_card"]
    assert item.passed is True
    assert item.fix_url == "/products/fraud-score/model-card/edit/"


def test_checklist_query_count_does_not_grow_with_products(
    team, django_assert_num_queries
):
    for _ in range(3):
        ProductFactory(team=team)
    with django_assert_num_queries(1):
        assert len(selectors.readiness_for_products(Product.objects.all())) == 3
    for _ in range(10):
        ProductFactory(team=team)
    with django_assert_num_queries(1):
        assert len(selectors.readiness_for_products(Product.objects.all())) == 13


# --- ML Test Score ------------------------------------------------------------------


def test_the_rubric_has_four_sections_of_seven():
    assert len(TESTS) == 28
    for section in SECTIONS:
        assert sum(1 for t in TESTS if t.section == section) == 7


@pytest.mark.parametrize(
    ("score", "start"),
    [
        (0, "More of a research project"),
        (0.5, "Not totally untested"),
        (1.5, "There's been a first pass"),
        (3, "Reasonably tested"),
        (4, "Strong levels"),
        (6, "Exceptional"),
    ],
)
def test_interpretation_follows_the_paper(score, start):
    assert interpretation(score).startswith(start)


def set_level(product, code, level, actor=None, **extra):
    return services.ml_test_result_set(
        product=product,
        code=code,
        actor=actor,
        data={"level": level, "evidence": "https://ci.example.org/run", **extra},
    )


def test_score_is_the_minimum_of_the_section_sums(product, alice):
    for n in range(1, 8):
        set_level(product, f"data-{n}", "automated", alice)
    set_level(product, "model-1", "manual", alice)
    set_level(product, "model-2", "automated", alice)
    for section in ("infra", "monitoring"):
        for n in range(1, 4):
            set_level(product, f"{section}-{n}", "automated", alice)
    score = selectors.ml_test_score(product)
    assert score.sections == {"data": 7, "model": 1.5, "infra": 3, "monitoring": 3}
    assert score.score == 1.5


def test_every_change_is_kept_as_history(product, alice):
    set_level(product, "data-1", "manual", alice)
    set_level(product, "data-1", "automated", alice)
    set_level(
        product, "data-1", "automated", alice, ci_context=""
    )  # no change in score
    history = selectors.ml_test_history(product)
    assert [s.data for s in history] == [0.5, 1.0]
    assert [s.score for s in history] == [0, 0]


def test_a_done_test_needs_evidence(product, alice):
    with pytest.raises(ValidationError):
        services.ml_test_result_set(
            product=product,
            code="data-1",
            actor=alice,
            data={"level": "manual", "evidence": "  "},
        )
    assert not MLTestResult.objects.exists()


def test_unknown_test_code_is_refused(product, alice):
    with pytest.raises(ValidationError):
        set_level(product, "data-99", "manual", alice)


# --- Stage gates ---------------------------------------------------------------------


def test_gate_blocks_failing_products_without_override(product, alice):
    with pytest.raises(services.GateBlocked) as blocked:
        services.product_change_stage_gated(product=product, stage="pilot", actor=alice)
    assert "sla" in {item.key for item in blocked.value.failing}
    product.refresh_from_db()
    assert product.stage == "proposed"
    assert not GateOverride.objects.exists()


def test_override_is_recorded_with_who_and_what(product, alice):
    change = services.product_change_stage_gated(
        product=product,
        stage="production",
        actor=alice,
        override=True,
        note="The board asked for a date.",
    )
    override = change.gate_override
    assert override.overridden_by == alice
    assert {"key": "kpi", "label": "A business KPI with a baseline and a target"} in (
        override.failing_items
    )


def test_ready_products_and_ungated_stages_pass_without_override(
    team, alice, bob, carol
):
    product = ready_product(team, alice, bob, carol)
    change = services.product_change_stage_gated(
        product=product, stage="pilot", actor=alice
    )
    assert not GateOverride.objects.filter(stage_change=change).exists()
    other = ProductFactory(team=team)
    services.product_change_stage_gated(product=other, stage="building", actor=alice)
    assert not GateOverride.objects.exists()


# --- Pages ------------------------------------------------------------------------


def test_readiness_page_shows_checklist_and_score(alice_client, product):
    set_level(product, "data-1", "manual")
    content = alice_client.get(reverse("readiness:detail", args=[product.slug])).content
    text = content.decode()
    assert "Three owners set" in text and "ML Test Score" in text
    assert "More of a research project" in text
    assert "data-1" in text and "Edit" in text


def test_member_edits_a_test_and_bad_input_is_a_field_error(bob_client, product):
    path = reverse("readiness:ml_test_edit", args=[product.slug, "model-5"])
    response = bob_client.post(path, {"level": "manual", "evidence": ""})
    assert response.status_code == 200
    assert "evidence" in response.context["form"].errors
    response = bob_client.post(
        path, {"level": "manual", "evidence": "Beats rules by 12%"}
    )
    assert response.status_code == 302
    assert MLTestResult.objects.get().level == "manual"


def test_outsider_reads_but_cannot_edit_tests(carol_client, product):
    assert (
        carol_client.get(reverse("readiness:detail", args=[product.slug])).status_code
        == 200
    )
    path = reverse("readiness:ml_test_edit", args=[product.slug, "model-5"])
    response = carol_client.post(path, {"level": "manual", "evidence": "x"})
    assert response.status_code == 403
    assert not MLTestResult.objects.exists()


def test_unknown_test_page_is_404(alice_client, product):
    path = reverse("readiness:ml_test_edit", args=[product.slug, "nope-1"])
    assert alice_client.get(path).status_code == 404


def test_monitoring_counts_alert_deliveries_and_alert_incidents(product, team, alice):
    from tracker.incidents.models import AlertIntegration, Incident

    assert items(product)["monitoring"].passed is False
    AlertIntegration.objects.create(
        name="am",
        kind="alertmanager",
        product=product,
        secret_hash="x" * 64,
        last_delivery_at=timezone.now() - timedelta(days=40),
    )
    assert items(product)["monitoring"].passed is False
    other = ProductFactory(team=team)
    Incident.objects.create(
        product=other,
        title="Drift",
        source="alertmanager",
        started_at=timezone.now(),
        detected_at=timezone.now(),
    )
    assert items(other)["monitoring"].passed is True
    AlertIntegration.objects.filter(product=product).update(
        last_delivery_at=timezone.now()
    )
    assert items(product)["monitoring"].passed is True


def test_ci_item_needs_a_recent_ci_status(product):
    from tracker.ci.models import CIStatus

    assert items(product)["ci"].passed is False
    ci_report(product, "train", "failure")
    assert items(product)["ci"].passed is True  # reporting, whatever the outcome
    CIStatus.objects.update(updated_at=timezone.now() - timedelta(days=31))
    assert items(product)["ci"].passed is False


def test_repeated_ci_successes_automate_a_mapped_test_and_a_failure_drops_it(
    product, alice
):
    set_level(product, "infra-3", "manual", alice, ci_context="integration")
    assert selectors.ml_test_score(product).sections["infra"] == 0.5
    ci_report(product, "integration", "success", sha="1" * 40)
    assert selectors.ml_test_score(product).sections["infra"] == 0.5  # once is luck
    ci_report(product, "integration", "success", sha="2" * 40)
    row = next(
        r for r in selectors.ml_test_score(product).rows if r.test.code == "infra-3"
    )
    assert (row.points, row.automated_by_ci) == (1.0, True)
    ci_report(product, "integration", "failure", sha="3" * 40)
    row = next(
        r for r in selectors.ml_test_score(product).rows if r.test.code == "infra-3"
    )
    assert (row.points, row.automated_by_ci) == (0.5, False)
    assert "failed" in row.ci_note
    # Each change was kept in the score history, written by the CI reports.
    assert [s.infra for s in selectors.ml_test_history(product)] == [0.5, 1.0, 0.5]


def test_other_contexts_do_not_automate(product, alice):
    set_level(product, "infra-3", "manual", alice, ci_context="integration")
    for sha in ("1" * 40, "2" * 40):
        ci_report(product, "train", "success", sha=sha)
    assert selectors.ml_test_score(product).sections["infra"] == 0.5


def test_survey_answers_suggest_and_prefill_related_tests(alice_client, product):
    rated(FeatureFactory(product=product, feature="card_velocity", skew_risk="high"))
    FeatureFactory(product=product, feature="device_id", quality_validity="poor")
    found = selectors.survey_suggestions(list(product.survey.all()))
    assert found["data-1"].level == "not_done"  # one of two features is unrated
    assert "1 of 2 features" in found["data-1"].text
    assert "card_velocity" in found["monitoring-3"].text
    assert "device_id" in found["monitoring-2"].text
    page = alice_client.get(
        reverse("readiness:ml_test_edit", args=[product.slug, "monitoring-3"])
    )
    assert "From the data survey" in page.content.decode()
    assert "card_velocity" in page.context["form"].initial["evidence"]
    assert not MLTestResult.objects.exists()  # suggested, not saved


def test_no_survey_no_suggestions(product):
    assert selectors.survey_suggestions([]) == {}
