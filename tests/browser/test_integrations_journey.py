"""Integrations in a real browser: a lead adds a member on the team page; a
webhook is subscribed, tested against a local receiver and its delivery log
read; a Prometheus connection that cannot be reached shows its error, and the
SLA it measures shows failed evaluations and "not measured"."""

import pytest
from playwright.sync_api import expect

from tests.factories import IncidentFactory, SLAFactory
from tests.integrations.receiver import receiver
from tests.picking import pick
from tracker.accounts.models import Role
from tracker.accounts.services import team_member_set
from tracker.integrations.models import SLAQuery
from tracker.integrations.services import prometheus
from tracker.integrations.services.connections import connection_create
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.writeup import postmortem_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manage_members_subscribe_a_webhook_and_read_a_failing_sla(
    page, live_server, sign_in, shoot, team, product, alice, carol, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    team_member_set(team=team, user=alice, role=Role.LEAD)
    sign_in("alice")

    page.goto(f"{live_server.url}/accounts/teams/risk/")
    pick(page.get_by_label("Username"), "carol")
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Add member or set role").click()
    expect(page.get_by_text("carol added as member.")).to_be_visible()
    shoot("40-team-members")

    with receiver() as hook:
        page.goto(f"{live_server.url}/integrations/webhooks/new/")
        page.get_by_label("Name").fill("Risk channel")
        page.get_by_label("Format").select_option("slack")
        page.get_by_label("URL").fill(hook.url + "/services/T0/B0/x")
        pick(page.get_by_label("Product"), "fraud", "Fraud score")
        shoot("41-webhook-form")
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_role("link", name="Go to the webhook").click()
        page.get_by_role("button", name="Send test").click()
        expect(page.get_by_text("Test message queued")).to_be_visible()
        page.reload()
        expect(page.locator("td .badge.good", has_text="Sent")).to_be_visible()
        shoot("42-webhook-log")
        assert hook.requests[0].json()["text"].startswith("*Test message*")

    connection = connection_create(
        actor=alice,
        data={
            "name": "Risk Prometheus",
            "kind": "prometheus",
            "team": team,
            "base_url": "http://127.0.0.1:9",
        },
    )
    sla = SLAFactory(product=product, name="p99 latency")
    sla_query = prometheus.sla_query_set(sla=sla, connection=connection, query="up")
    for _ in range(SLAQuery.NOT_MEASURED_AFTER):
        prometheus.sla_query_evaluate(sla_query_id=sla_query.pk, force=True)
    page.goto(f"{live_server.url}{sla.get_absolute_url()}")
    expect(page.get_by_text("not measured").first).to_be_visible()
    shoot("43-sla-not-measured")
    page.goto(f"{live_server.url}{connection.get_absolute_url()}")
    expect(page.get_by_text("Cannot reach 127.0.0.1:9").first).to_be_visible()
    shoot("44-connection-error")
    page.goto(f"{live_server.url}/integrations/")
    shoot("45-integrations-home")

    github = connection_create(
        actor=alice,
        data={
            "name": "acme/fraud-score",
            "kind": "github",
            "team": team,
            "base_url": "http://127.0.0.1:9",
            "repository": "acme/fraud-score",
            "webhook_secret": "s3cret",
        },
    )
    incident = IncidentFactory(product=product)
    postmortem = postmortem_create(
        product=product, actor=alice, data={"title": "Drift", "incidents": [incident]}
    )
    item = action_item_create(
        actor=alice,
        postmortem=postmortem,
        data={"description": "Alert on drift", "kind": "detect", "owner": alice},
    )
    page.goto(f"{live_server.url}{postmortem.get_absolute_url()}")
    page.get_by_role("link", name="GitHub issue").first.click()
    page.get_by_role("button", name="Create issue").click()
    expect(page.get_by_text("Cannot reach 127.0.0.1:9").first).to_be_visible()
    shoot("46-action-item-issue")
    page.goto(f"{live_server.url}{github.get_absolute_url()}")
    expect(page.get_by_text(f"/hooks/github/{github.pk}/")).to_be_visible()
    shoot("47-github-connection")
    assert item.pk
