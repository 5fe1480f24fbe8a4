"""Demo postmortems for `make run`: one published (reviewed, with an accepted
blameless warning) and one draft past its review deadline, with contributing
factors and action items (some overdue), and an action item from a planning
session. Written through the services, so the demo follows the real rules.
Called by tracker.demo.seed.seed_demo."""

from datetime import datetime, timedelta

from tracker.accounts.models import User
from tracker.demo.people import user_named
from tracker.incidents.models import Incident
from tracker.incidents.services.incidents import (
    incident_acknowledge,
    incident_open,
    incident_resolve,
)
from tracker.postmortems.models import ActionStatus, MomentKind, Status
from tracker.postmortems.services.action_items import (
    action_item_create,
    action_item_set_status,
)
from tracker.postmortems.services.parts import factor_add, impact_add, moment_add
from tracker.postmortems.services.warnings import warning_accept
from tracker.postmortems.services.writeup import (
    postmortem_from_incident,
    postmortem_transition,
    postmortem_update,
)
from tracker.products.models import Product


def _incident(
    product: Product,
    *,
    title: str,
    severity: str,
    kind: str,
    started: datetime,
    detected: datetime,
    acknowledged: datetime,
    resolved: datetime,
    responder: User,
    note: str,
) -> Incident:
    incident = incident_open(
        actor=None,
        source="alertmanager",
        now=detected,
        data={
            "product": product,
            "title": title,
            "severity": severity,
            "kind": kind,
            "started_at": started,
            "fingerprint": f"demo-{product.slug}-{kind}",
            "labels": {"alertname": title, "product": product.slug},
        },
    )
    incident_acknowledge(incident=incident, actor=responder, at=acknowledged)
    incident_resolve(incident=incident, actor=responder, at=resolved, note=note)
    return incident


def seed_postmortems(*, now: datetime) -> None:
    _published(now)
    _draft(now)
    _from_session(now)


def _published(now: datetime) -> None:
    alice, bob, carol = user_named("alice"), user_named("bob"), user_named("carol")
    product = Product.objects.get(slug="fraud-score")
    start = now - timedelta(days=38, hours=3)
    incident = _incident(
        product,
        title="Fraud score: approval rate down 9% after payments schema change",
        severity="sev2",
        kind="bad_predictions",
        started=start,
        detected=start + timedelta(minutes=47),
        acknowledged=start + timedelta(minutes=52),
        resolved=start + timedelta(hours=3, minutes=10),
        responder=bob,
        note="Fallback rules on; model back once the feature was fixed.",
    )
    postmortem, _ = postmortem_from_incident(incident=incident, actor=alice)
    postmortem_update(
        postmortem=postmortem,
        actor=alice,
        data={
            "title": "Upstream schema change nulled a key fraud feature",
            "reviewers": [carol],
            "review_owner": bob,
            "review_meeting_at": start + timedelta(days=3, hours=5),
            "users_affected": 18400,
            "error_budget_consumed": 42.0,
            **PUBLISHED_TEXT,
        },
    )
    moment_add(
        postmortem=postmortem,
        actor=alice,
        data={
            "at": start + timedelta(hours=1, minutes=20),
            "kind": MomentKind.MITIGATED,
            "description": "Switched scoring to the velocity-rule baseline; "
            "approvals back to normal within 10 minutes.",
            "starred": True,
        },
    )
    moment_add(
        postmortem=postmortem,
        actor=alice,
        data={
            "at": start - timedelta(minutes=5),
            "kind": MomentKind.CHANGE,
            "description": "Payments service v7.4 deployed: `merchant_category` "
            "renamed to `mcc` in the authorisation events.",
            "starred": True,
        },
    )
    for category, ml_kind, text in (
        (
            "data",
            "upstream_data_change",
            "The authorisation events renamed a field the model reads; nothing "
            "checked the event schema before features were computed.",
        ),
        (
            "code",
            "training_serving_skew",
            "The serving feature code filled a missing category with the training "
            "set's rarest value, which the model had learnt to treat as risky.",
        ),
        (
            "process",
            "",
            "Schema changes in payments are announced in a channel the ML team "
            "does not follow; there is no contract between the two services.",
        ),
    ):
        factor_add(
            postmortem=postmortem,
            actor=alice,
            data={"category": category, "ml_kind": ml_kind, "description": text},
        )
    metric = product.metrics.filter(name="Manual review rate").first()
    if metric:
        impact_add(
            postmortem=postmortem,
            actor=alice,
            metric=metric,
            change="+3.4 points for 3 hours (2.1% → 5.5%)",
        )
    for description, kind, owner, due, priority, status in (
        (
            "Validate the authorisation event schema before computing features; "
            "fail closed to the rule baseline",
            "prevent",
            bob,
            -20,
            "high",
            ActionStatus.DONE,
        ),
        (
            "Alert on the null rate of every model input, per feature",
            "detect",
            carol,
            -4,
            "high",
            ActionStatus.OPEN,
        ),
        (
            "Automatic fallback to the velocity rules when more than 5% of "
            "inputs are missing",
            "mitigate",
            bob,
            12,
            "medium",
            ActionStatus.OPEN,
        ),
        (
            "Agree a schema contract with the payments team, with a change "
            "notice to the ML team",
            "process",
            alice,
            25,
            "medium",
            ActionStatus.OPEN,
        ),
    ):
        item = action_item_create(
            actor=alice,
            postmortem=postmortem,
            data={
                "description": description,
                "kind": kind,
                "owner": owner,
                "due_date": (now + timedelta(days=due)).date(),
                "priority": priority,
            },
        )
        if status != ActionStatus.OPEN:
            action_item_set_status(item=item, actor=owner, status=status)
    postmortem_transition(postmortem=postmortem, actor=alice, status=Status.IN_REVIEW)
    for warning in postmortem.warnings.all():
        warning_accept(warning=warning, actor=carol)
    postmortem_transition(postmortem=postmortem, actor=carol, status=Status.REVIEWED)
    postmortem_transition(postmortem=postmortem, actor=alice, status=Status.PUBLISHED)


PUBLISHED_TEXT = {
    "summary": "For 3 hours 10 minutes the fraud score held **9% more** card "
    "payments for review than usual. A payments release renamed a field in the "
    "authorisation events; the feature built from it became empty, and the model "
    "read empty as risky. Switching to the velocity-rule baseline stopped the "
    "impact; a fixed feature pipeline brought the model back.",
    "impact": "- **Manual review rate** rose from 2.1% to 5.5% for three hours; "
    "about 18,400 customers saw their payment held.\n"
    "- 42% of the month's SLA error budget for *decision quality* was used.\n"
    "- No fraud losses are attributed to the window: held payments were "
    "reviewed, not approved.",
    "trigger": "Payments service v7.4 renamed `merchant_category` to `mcc` in "
    "the authorisation events at 09:55 UTC.",
    "detection": "The *approval rate* alert fired 47 minutes after the start. "
    "A null-rate check on model inputs would have caught it within 5 minutes; "
    "we had one in training but not in serving.",
    "resolution": "The on-call engineer switched scoring to the rule baseline "
    "(runbook step 3) at 11:15, then the feature job was fixed to read `mcc` "
    "and the model re-enabled at 13:05.",
    "went_well": "- The rule baseline, kept from the start of the product, "
    "was one switch away.\n- The runbook's fallback step worked as written.",
    "went_wrong": "- Nothing checked the event schema before features were "
    "computed.\n- The serving code filled missing values differently from "
    "training.",
    "lucky": "It happened on a Tuesday morning with the whole team in; on a "
    "weekend the fallback would have waited for the pager.",
    "lessons": "- Monitor **inputs**, not only outputs: null rates and schema per "
    "feature, in serving.\n- A simple baseline is an operational asset, not "
    "only a benchmark.\n- We avoided calling this human error: the rename was "
    "announced, in a channel the ML team does not read.",
    "links_na": False,
}


def _draft(now: datetime) -> None:
    dan, erin = user_named("dan"), user_named("erin")
    product = Product.objects.get(slug="churn-warning")
    start = now - timedelta(days=11, hours=6)
    incident = _incident(
        product,
        title="Churn warnings frozen: model not retrained for 5 weeks",
        severity="sev1",
        kind="drift",
        started=start,
        detected=start + timedelta(hours=20),
        acknowledged=start + timedelta(hours=21),
        resolved=start + timedelta(days=1, hours=8),
        responder=erin,
        note="Retrained by hand; scheduler fixed.",
    )
    postmortem, _ = postmortem_from_incident(incident=incident, actor=dan)
    postmortem_update(
        postmortem=postmortem,
        actor=dan,
        data={
            "title": "Stale churn model after the retraining job stopped",
            "reviewers": [erin],
            "summary": "The weekly retraining job had not run for five weeks. "
            "The churn model kept scoring with old behaviour, and the retention "
            "team called the wrong customers for a week.",
            "trigger": "A credentials rotation broke the scheduler's access to "
            "the feature store; the job failed without alerting.",
            "detection": "Dan should have noticed the retraining job failing. "
            "A freshness SLA on the model's training date would have caught it "
            "in a day.",
            "went_wrong": "The job's failures went to a mailbox nobody reads.",
        },
    )
    factor_add(
        postmortem=postmortem,
        actor=dan,
        data={
            "category": "model",
            "ml_kind": "stale_model",
            "description": "No check on the age of the model in production.",
        },
    )
    factor_add(
        postmortem=postmortem,
        actor=dan,
        data={
            "category": "infra",
            "ml_kind": "",
            "description": "Scheduler failures were not routed to any alert.",
        },
    )
    for description, kind, owner, due in (
        (
            "Freshness SLA: alert when the model is older than 8 days",
            "detect",
            erin,
            -2,
        ),
        ("Route scheduler failures to the team's alert channel", "detect", dan, 5),
    ):
        action_item_create(
            actor=dan,
            postmortem=postmortem,
            data={
                "description": description,
                "kind": kind,
                "owner": owner,
                "due_date": (now + timedelta(days=due)).date(),
                "priority": "high",
            },
        )


def _from_session(now: datetime) -> None:
    product = Product.objects.get(slug="fraud-score")
    session = product.sessions.order_by("held_at").last()
    if session is None:
        return
    action_item_create(
        actor=product.pm_owner,
        session=session,
        data={
            "description": "Confirm with the data owners that every survey "
            "feature is available in the authorisation path",
            "kind": "process",
            "owner": user_named("carol"),
            "due_date": (now - timedelta(days=9)).date(),
            "priority": "medium",
        },
    )
