"""One of everything a product can have, made through the services, and the
keys that name each object in a URL (for walking every route with them)."""

from datetime import timedelta

from django.utils import timezone

from tests.factories import (
    FeatureFactory,
    MeasurementFactory,
    MetricFactory,
    SessionFactory,
    SLACheckFactory,
    SLAFactory,
)
from tracker.accounts.models import User
from tracker.accounts.services import token_create
from tracker.cards.services import (
    decision_record,
    model_card_save,
    version_card_save,
)
from tracker.ci.services import ci_status_report
from tracker.incidents.services.incidents import (
    incident_note_add,
    incident_open,
    integration_create,
)
from tracker.integrations.models import IssueLink
from tracker.integrations.services.connections import connection_create
from tracker.integrations.services.webhooks import webhook_subscribe
from tracker.outcomes import services as outcomes
from tracker.postmortems.services.action_items import action_item_create
from tracker.postmortems.services.parts import factor_add, impact_add, moment_add
from tracker.postmortems.services.writeup import postmortem_create, postmortem_update
from tracker.products.experiments import experiment_create, rollout_step_create
from tracker.products.models import Product
from tracker.readiness.services import ml_test_result_set
from tracker.releases import services as releases
from tracker.reminders.models import Channel, KPIReview, Reminder
from tracker.reports import jobs as report_exports
from tracker.reports import tasks as report_tasks


def one_of_everything(
    product: Product, *, author: User, owner: User, notified: User
) -> tuple[dict[str, object], list[str]]:
    """Under `product`: a metric and a measurement, an SLA and a check, a survey
    row, a planning session, an incident with its timeline, a postmortem (with a
    timeline moment, a contributing factor, a KPI impact, a blameless warning and
    an action item), an action item from the session (owned by `owner`), a CI
    status, a CI token, an ML Test Score result, a KPI review, an alert
    integration, an in-app notification for `notified`, a model card, a
    decision awaiting `owner`'s approval, a model version deployed to
    production and `author`'s export of the team's portfolio report.

    Returns the URL keys by the path segment that names them ("metrics" → the
    metric's id) and the names that would give the objects away in a page."""
    word = product.name.split()[0]
    now = timezone.now()
    metric = MetricFactory(product=product, name=f"{word} uplift", owner=author)
    measurement = MeasurementFactory(metric=metric)
    sla = SLAFactory(product=product, name=f"{word} latency")
    SLACheckFactory(sla=sla)
    feature = FeatureFactory(product=product, feature=f"{word.lower()}_feature")
    session = SessionFactory(product=product, title=f"{word} kickoff")
    incident = incident_open(
        actor=author,
        data={
            "product": product,
            "title": f"{word} drift",
            "severity": "sev2",
            "kind": "drift",
            "started_at": now - timedelta(hours=3),
        },
    )
    incident_note_add(incident=incident, actor=author, text="Looking.")
    postmortem = postmortem_create(
        product=product,
        actor=author,
        data={"title": f"{word} outage review", "incidents": [incident]},
    )
    postmortem_update(
        postmortem=postmortem,
        actor=author,
        data={"summary": "It was human error, plain and simple."},
    )
    [warning] = postmortem.warnings.all()
    moment = moment_add(
        postmortem=postmortem,
        actor=author,
        data={"at": now, "kind": "detected", "description": f"{word} moment"},
    )
    factor = factor_add(
        postmortem=postmortem,
        actor=author,
        data={"category": "data", "description": f"{word} factor"},
    )
    impact = impact_add(
        postmortem=postmortem, actor=author, metric=metric, change="-4% approvals"
    )
    item = {"kind": "detect", "due_date": timezone.localdate() + timedelta(days=3)}
    action = action_item_create(
        actor=author,
        postmortem=postmortem,
        data={**item, "description": f"{word} follow-up", "owner": author},
    )
    action_item_create(
        actor=author,
        session=session,
        data={**item, "description": f"{word} decision", "owner": owner},
    )
    ci_status_report(
        product=product,
        sha="ab" * 20,
        context="train",
        data={"state": "success"},
        actor=author,
        token=None,
    )
    ci_token, _ = token_create(user=author, name=f"{word} CI", product=product)
    person_token, _ = token_create(user=author, name=f"{word} laptop")
    ml_test_result_set(
        product=product,
        code="data-1",
        actor=author,
        data={"level": "manual", "evidence": f"{word} evidence"},
    )
    review = KPIReview.objects.create(
        product=product, weeks=2, due_at=now, created_at=now
    )
    integration, _ = integration_create(
        actor=author,
        data={"name": f"{word} alerts", "kind": "alertmanager", "product": product},
    )
    webhook, _ = webhook_subscribe(
        actor=author,
        product=product,
        data={"name": f"{word} chat", "kind": "slack", "url": "https://chat.invalid/x"},
    )
    connection = connection_create(
        actor=author,
        data={
            "name": f"{word} GitHub",
            "kind": "github",
            "team": product.team,
            "base_url": "https://github.invalid/api",
            "repository": f"acme/{word.lower()}",
        },
    )
    IssueLink.objects.create(
        action_item=action,
        connection=connection,
        number=7,
        html_url=f"https://github.invalid/acme/{word.lower()}/issues/7",
    )
    version = releases.model_version_create(
        product=product,
        version=f"{word.lower()}-1.0",
        data={"metrics": {"auc": 0.9}, "notes": f"{word} release"},
        actor=author,
    )
    releases.deployment_record(
        product=product,
        version=version,
        environment="production",
        data={"deployed_at": now - timedelta(hours=5)},
        actor=author,
    )
    notification = Reminder.objects.create(
        rule="metric_followup",
        subject_type="metric",
        subject_id=metric.pk,
        occurrence=now,
        recipient=notified,
        channel=Channel.IN_APP,
        title=f"{word} reminder",
        url=metric.get_absolute_url(),
        created_at=now,
        sent_at=now,
        product=product,
    )
    model_card_save(
        product=product, data={"intended_use": f"{word} card use"}, actor=author
    )
    version_card_save(
        version=version, data={"caveats": f"{word} version caveat"}, actor=author
    )
    decision = decision_record(
        product=product,
        actor=author,
        approvers=[owner],
        data={
            "title": f"{word} imputation",
            "decision": "Listwise deletion",
            "reason": "Few rows miss values.",
            "session": session,
        },
    )
    # After launch: a rating, a cost, the feature's contract, a consumer and a
    # change notice to it.
    outcomes.feedback_submit(
        product=product,
        data={"rating": "good", "comment": f"{word} feedback"},
        actor=author,
    )
    cost = outcomes.cost_record(
        product=product,
        data={
            "kind": "build",
            "amount": 100,
            "incurred_at": now.date(),
            "note": f"{word} cost",
        },
        actor=author,
    )
    outcomes.contract_set(
        source=feature,
        data={"owner_team": product.team, "fields_relied_on": f"{word} fields"},
        actor=author,
    )
    consumer = outcomes.consumer_add(
        product=product,
        data={"name": f"{word} consumer", "owner": owner, "relies_on": "score"},
        actor=author,
    )
    outcomes.contract_change_post(
        product=product,
        data={
            "side": "downstream",
            "consumer": consumer,
            "summary": f"{word} change notice",
            "effective_at": now,
        },
        actor=author,
    )
    # A finished export of the product's team's report, which only `author`
    # (and staff) may read.
    export = report_tasks.export_start(
        user=author,
        fmt="csv",
        query=f"team={product.team.slug}",
        base_url="http://testserver/",
    )
    report_exports.export_run(export.pk)
    step = rollout_step_create(
        product=product,
        data={"kind": "shadow", "exit_criteria": f"{word} shadow exit"},
    )
    experiment = experiment_create(
        product=product,
        data={
            "name": f"{word} A/B",
            "metric": metric,
            "arms": ["control", "model"],
            "started_at": now - timedelta(days=2),
        },
        actor=author,
    )
    keys = {
        "costs": cost.pk,
        "consumers": consumer.pk,
        "sources": feature.pk,
        "exports": export.pk,
        "teams": product.team.slug,
        "decisions": decision.pk,
        "approvals": decision.approvals.get().pk,
        "members": author.username,
        "products": product.slug,
        "metrics": metric.pk,
        "measurements": measurement.pk,
        "slas": sla.pk,
        "survey": feature.pk,
        "sessions": session.pk,
        "from-session": session.pk,
        "tests": "data-1",
        "ml-test-score": "data-1",
        "kpi-reviews": review.pk,
        "incidents": incident.pk,
        "from-incident": incident.pk,
        "postmortems": postmortem.pk,
        "check": "summary",
        "warnings": warning.pk,
        "timeline": moment.pk,
        "factors": factor.pk,
        "impacts": impact.pk,
        "action-items": action.pk,
        "integrations": integration.pk,
        "webhooks": webhook.pk,
        "connections": connection.pk,
        "ci-tokens": ci_token.pk,
        "tokens": person_token.pk,
        "notifications": notification.pk,
        "model-versions": version.pk,
        "versions": version.pk,
        "rollout-steps": step.pk,
        "rollout": step.pk,
        "experiments": experiment.pk,
    }
    names = [
        product.name,
        product.slug,
        product.team.name,
        product.team.slug,
        metric.name,
        sla.name,
        feature.feature,
        session.title,
        incident.title,
        postmortem.title,
        f"{word} moment",
        f"{word} factor",
        f"{word} follow-up",
        f"{word} decision",
        f"{word} CI",
        f"{word} laptop",
        f"{word} evidence",
        integration.name,
        webhook.name,
        connection.name,
        notification.title,
        f"{word} card use",
        decision.title,
        version.version,
        f"{word} release",
        f"{word} feedback",
        f"{word} cost",
        f"{word} fields",
        f"{word} consumer",
        f"{word} change notice",
        f"{word} shadow exit",
        experiment.name,
    ]
    return keys, names
