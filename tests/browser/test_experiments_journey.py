"""Rollout plan and an experiment in a real browser: plan the steps, see where
the rollout stands on the product page, start an experiment on a metric, record
an arm's value on the metric page, and read the arms' interval and verdict."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import MetricFactory, record_arms
from tracker.products.models_experiments import Experiment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rollout_and_experiment(page, live_server, sign_in, shoot, product, alice):
    metric = MetricFactory(
        product=product, name="Approval rate", direction="higher", unit="%"
    )
    sign_in("alice")
    page.goto(f"{live_server.url}/products/fraud-score/")
    page.get_by_role("link", name="Delivery").click()
    page.get_by_role("link", name="Edit the plan").click()
    expect(page.get_by_role("heading", name="Rollout plan")).to_be_visible()
    for kind, status, percent in (
        ("Shadow", "Done", ""),
        ("Internal A/B", "Active", ""),
        ("Percentage ramp", "Planned", ""),
    ):
        page.get_by_label("Kind").select_option(label=kind)
        page.get_by_label("Status").select_option(label=status)
        page.get_by_label("Percent of traffic").fill(percent)
        page.get_by_label("Who decides").select_option(label="Alice (alice)")
        page.get_by_role("button", name="Add step").click()
    # The ramp needs its percent: a form error beside the field.
    expect(page.get_by_text("A percentage ramp needs the percent")).to_be_visible()
    page.get_by_label("Percent of traffic").fill("25")
    page.get_by_role("button", name="Add step").click()
    expect(page.get_by_text("Added step 3. Ramp to 25%")).to_be_visible()
    shoot("experiments-01-rollout-plan")

    page.goto(f"{live_server.url}/products/fraud-score/delivery/")
    rollout = page.locator("section", has=page.locator("#rollout-h"))
    expect(rollout.get_by_text("1 of 3")).to_be_visible()
    expect(rollout.get_by_text("now: Internal A/B")).to_be_visible()

    page.get_by_role("link", name="New experiment").click()
    page.get_by_label("Name").fill("Model vs rules")
    page.get_by_label("Metric").select_option(label="Approval rate")
    page.get_by_label("Arms").fill("rules, model")
    started = timezone.localtime() - timedelta(days=5)
    page.get_by_label("Started at").fill(started.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Start experiment").click()
    expect(page.get_by_role("heading", name="Model vs rules")).to_be_visible()
    expect(page.get_by_text("not enough data").first).to_be_visible()

    experiment = Experiment.objects.get()
    record_arms(
        metric,
        experiment.started_at,
        {"rules": [61.0, 62.5, 60.5], "model": [66.0, 67.5, 68.0]},
        actor=alice,
    )
    # One more value of the model's arm, recorded on the metric's page.
    page.goto(f"{live_server.url}{metric.get_absolute_url()}")
    page.get_by_label("Value").fill("67")
    when = timezone.localtime() - timedelta(hours=1)
    page.get_by_label("Measured at").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Experiment arm").select_option("model")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Measurement recorded.")).to_be_visible()

    page.goto(f"{live_server.url}{experiment.get_absolute_url()}")
    arms = page.locator("table.experiment-arms")
    expect(arms.get_by_text("significant", exact=True)).to_be_visible()
    expect(arms.locator("svg.ci-bar")).to_have_count(1)
    expect(arms.locator("tbody tr").nth(1)).to_contain_text("4")
    shoot("experiments-02-experiment")
