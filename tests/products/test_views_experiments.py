"""The rollout plan's page, the experiment pages and the product page's
rollout, experiments and adoption sections; bad input is a form error, an
outsider reads but does not write, another team's private product is 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import MetricFactory, record_arms
from tracker.accounts.models import Visibility
from tracker.lib.stats import NOT_ENOUGH_DATA
from tracker.products.experiments import experiment_create, rollout_step_create
from tracker.products.models import Measurement
from tracker.products.models_experiments import Experiment, RolloutStep

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"products:{name}", args=args)


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Approval rate", direction="higher")


def run_experiment(product, metric, name, values_by_arm, *, days_ago):
    """An experiment on `metric` started `days_ago`, its arms in order, each
    with its values recorded."""
    start = timezone.now() - timedelta(days=days_ago)
    found = experiment_create(
        product=product,
        data={
            "name": name,
            "metric": metric,
            "arms": list(values_by_arm),
            "started_at": start,
        },
        actor=None,
    )
    record_arms(metric, start, values_by_arm)
    return found


@pytest.fixture
def experiment(product, metric):
    return run_experiment(
        product,
        metric,
        "Model vs rules",
        {"control": [10, 11, 12], "model": [14, 15, 16]},
        days_ago=10,
    )


def test_rollout_page_adds_steps_in_order(alice_client, product, alice):
    page = alice_client.get(url("rollout", "fraud-score"))
    assert page.status_code == 200
    assert "No rollout plan yet" in page.content.decode()
    for kind, extra in (("shadow", {}), ("ramp", {"percent": "10"})):
        response = alice_client.post(
            url("rollout", "fraud-score"),
            {"kind": kind, "status": "planned", "decider": alice.pk, **extra}
            | {"position": page.context["form"]["position"].value()},
        )
        assert response.status_code == 302
        page = alice_client.get(url("rollout", "fraud-score"))
    steps = list(product.rollout_steps.values_list("position", "kind", "percent"))
    assert steps == [(1, "shadow", None), (2, "ramp", 10)]
    body = page.content.decode()
    assert "Ramp to 10%" in body and "now: <strong>Shadow</strong>" in body


def test_ramp_without_percent_is_a_form_error(alice_client, product):
    response = alice_client.post(
        url("rollout", "fraud-score"),
        {"kind": "ramp", "status": "planned", "position": "1"},
    )
    assert response.status_code == 200
    assert "percent" in response.context["form"].errors
    assert not RolloutStep.objects.exists()


def test_step_edit_and_delete(alice_client, product):
    step = rollout_step_create(product=product, data={"kind": "shadow"})
    response = alice_client.post(
        url("rollout_step_edit", "fraud-score", step.pk),
        {"kind": "shadow", "status": "done", "position": "1"},
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.status == "done"
    response = alice_client.post(url("rollout_step_delete", "fraud-score", step.pk))
    assert response.status_code == 302
    assert not RolloutStep.objects.exists()


def test_outsider_reads_the_plan_but_cannot_change_it(carol_client, product):
    step = rollout_step_create(product=product, data={"kind": "full"})
    page = carol_client.get(url("rollout", "fraud-score"))
    assert page.status_code == 200 and page.context["form"] is None
    assert (
        carol_client.post(url("rollout", "fraud-score"), {"kind": "full"}).status_code
        == 403
    )
    edit = url("rollout_step_edit", "fraud-score", step.pk)
    assert carol_client.get(edit).status_code == 403


def test_private_product_pages_are_404(carol_client, product, team, experiment):
    team.visibility = Visibility.PRIVATE
    team.save()
    for page in (
        url("rollout", "fraud-score"),
        url("experiment", "fraud-score", experiment.pk),
        url("experiment_create", "fraud-score"),
    ):
        assert carol_client.get(page).status_code == 404


def test_experiment_created_on_its_page(alice_client, product, metric):
    response = alice_client.post(
        url("experiment_create", "fraud-score"),
        {
            "name": "Ranker A/B",
            "metric": metric.pk,
            "arms": "control, new ranker",
            "started_at": (timezone.localtime() - timedelta(days=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
        },
    )
    experiment = Experiment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == experiment.get_absolute_url()
    assert [a.name for a in experiment.arms.all()] == ["control", "new ranker"]


@pytest.mark.parametrize(
    ("arms", "error"), [("control", "at least two"), ("a, a", "its own name")]
)
def test_bad_arms_are_a_form_error(alice_client, product, metric, arms, error):
    response = alice_client.post(
        url("experiment_create", "fraud-score"),
        {
            "name": "X",
            "metric": metric.pk,
            "arms": arms,
            "started_at": "2026-01-01T09:00",
        },
    )
    assert response.status_code == 200
    assert error in str(response.context["form"].errors["arms"])


def test_experiment_page_shows_arms_interval_and_verdict(alice_client, experiment):
    page = alice_client.get(url("experiment", "fraud-score", experiment.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "significant uplift" in body
    assert 'class="ci-bar"' in body
    control, model = page.context["experiment"].results
    assert (control.count, control.mean, model.mean) == (3, 11, 15)
    assert model.significant is True


def test_experiment_finished_on_its_edit_page(alice_client, experiment):
    ended = timezone.localtime() - timedelta(days=1)
    response = alice_client.post(
        url("experiment_edit", "fraud-score", experiment.pk),
        {
            "name": experiment.name,
            "metric": experiment.metric_id,
            "arms": "control, model",
            "started_at": timezone.localtime(experiment.started_at).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "ended_at": ended.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    experiment.refresh_from_db()
    assert experiment.ended_at is not None


def test_metric_page_records_an_arm_value_and_keeps_it_off_the_chart(
    alice_client, experiment, metric
):
    page = url("metric_detail", "fraud-score", metric.pk)
    when = (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = alice_client.post(
        page, {"value": "17", "measured_at": when, "arm": "model"}
    )
    assert response.status_code == 302
    assert Measurement.objects.filter(arm__name="model").count() == 4
    shown = alice_client.get(page)
    assert shown.context["latest"] is None  # every value is an arm's
    assert "arm <a" in shown.content.decode()


def test_product_page_shows_rollout_experiments_and_adoption_apart(
    alice_client, product, experiment
):
    rollout_step_create(
        product=product, data={"kind": "internal_ab", "status": "active"}
    )
    MetricFactory(product=product, name="Holds confirmed", kind="adoption")
    # The delivery tab shows the rollout and the experiments, the metrics tab
    # the adoption metrics in a group of their own.
    body = alice_client.get(url("delivery", "fraud-score")).content.decode()
    assert "now: <strong>Internal A/B</strong>" in body
    assert "Model vs rules" in body and "significant uplift" in body
    page = alice_client.get(url("metrics", "fraud-score"))
    assert '<th scope="rowgroup" colspan="7">Adoption</th>' in page.content.decode()
    kinds = [m.kind for m in page.context["metrics"]]
    assert kinds == ["business_kpi", "adoption"]


def test_arms_with_fewer_than_two_values_have_no_interval(
    alice_client, product, metric
):
    """An arm with one value, or none yet, has a mean but no variance (NULL, as
    PostgreSQL's VAR_SAMP gives it, on SQLite too): the product's delivery tab
    shows the experiment rather than failing."""
    run_experiment(
        product,
        metric,
        "Just started",
        {"control": [10, 12, 17], "model": [14], "fallback": []},
        days_ago=3,
    )
    page = alice_client.get(url("delivery", "fraud-score"))
    assert page.status_code == 200
    (shown,) = page.context["experiments"]
    control, model, fallback = shown.results
    assert (control.count, control.mean) == (3, 13)
    assert (model.count, model.mean, model.significant) == (1, 14, None)
    assert (fallback.count, fallback.mean, fallback.significant) == (0, None, None)
    assert model.reason == fallback.reason == NOT_ENOUGH_DATA
    assert shown.significant is False


def test_sample_variance_is_the_statistics_one(product, metric):
    """The arms' variance (tracker.lib.aggregates.SampleVariance) on either
    database: the sample variance of the arm's values."""
    from statistics import variance

    from tracker.products.experiments import _arm_rows
    from tracker.products.models_experiments import ExperimentArm

    values = [3.5, 9.25, 4.0, 11.0]
    run_experiment(product, metric, "Spread", {"a": values, "b": []}, days_ago=5)
    rows = list(_arm_rows(ExperimentArm.objects.filter(experiment__name="Spread")))
    (_, name_a, n_a, _, var_a), (_, name_b, n_b, _, var_b) = rows
    assert (name_a, n_a, name_b, n_b, var_b) == ("a", 4, "b", 0, None)
    assert var_a == pytest.approx(variance(values))
