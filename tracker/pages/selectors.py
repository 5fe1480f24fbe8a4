"""Reads for screens that compose several apps: each gathers what one page shows
from the apps it reads, for a product or session already read through its
`*_get_for_user`."""

from datetime import datetime
from typing import Any

from django.utils.safestring import SafeString

from tracker.accounts.models import User
from tracker.audit import selectors as audit_selectors
from tracker.cards import selectors as cards
from tracker.ci.selectors import ci_status_combined
from tracker.incidents.selectors import product_open_incidents
from tracker.lib.charts import before_after_chart
from tracker.outcomes import selectors as outcomes
from tracker.postmortems.selectors.action_items import (
    product_action_items,
    session_action_items,
)
from tracker.products import experiments
from tracker.products import selectors as products
from tracker.products.models import (
    PlanningSession,
    Product,
    ServiceLevel,
    SuccessMetric,
)
from tracker.products.segments import metrics_with_segments
from tracker.readiness import selectors as readiness
from tracker.releases import selectors as releases


def _with_chart(
    metric: SuccessMetric, product: Product, markers: list
) -> SuccessMetric:
    metric.chart = before_after_chart(
        [(m.measured_at, m.value) for m in metric.history],
        baseline=metric.baseline,
        target=metric.target,
        launched_at=product.launched_at,
        label=f"{metric.name} over time",
        unit=metric.unit,
        y_title=metric.unit or metric.name,
        width=340,
        height=150,
        legend=False,  # the page prints one under the table
        markers=markers,
    )
    metric.progress_value = metric.progress(
        metric.latest.value if metric.latest else None
    )
    return metric


def product_page(
    *, tab: str, product: Product, user: User, now: datetime
) -> dict[str, Any]:
    """One tab of the product's page (PRODUCT_TABS), with what every tab
    shows: the product and whether the reader may edit it."""
    gather = PRODUCT_TABS[tab]
    return {
        "product": product,
        "tab": tab,
        "can_edit": products.user_can_edit_product(user, product),
        "now": now,
        **gather(product, now),
    }


def _overview(product: Product, now: datetime) -> dict[str, Any]:
    """Where the product stands: owners and lifecycle, readiness, the open
    incidents."""
    return {
        "timeline": products.stage_timeline(product=product),
        "readiness": readiness.readiness_for_product(product, now=now),
        "ml_score": readiness.ml_test_score(product),
        "incidents": product_open_incidents(product=product),
    }


def _metrics(product: Product, now: datetime) -> dict[str, Any]:
    """Whether it works: the KPIs and model metrics with their charts (marking
    deployments), the SLAs, cost and value, the last weeks' feedback."""
    metrics = products.metric_list_with_latest(product=product)
    # Production deployments and rollbacks on every KPI chart's time axis.
    markers = releases.chart_markers(product_id=product.pk)
    return {
        "metrics": [_with_chart(metric, product, markers) for metric in metrics],
        "slas": products.sla_list_with_compliance(product=product),
        **_outcomes(product, now),
    }


def _delivery(product: Product, now: datetime) -> dict[str, Any]:
    """How the model reaches its users: the rollout, experiments, what serves
    in each environment and the latest deployments, CI."""
    return {
        "rollout": experiments.rollout_for(product=product),
        "experiments": experiments.experiments_with_results(
            experiments.experiment_list(product=product)[:10]
        ),
        "serving": releases.serving_now(product=product),
        "deployments": releases.deployment_list(product=product)[:10],
        "ci": ci_status_combined(product=product),
    }


def _work(product: Product, now: datetime) -> dict[str, Any]:
    """What was decided and what is left to do: the open action items (of
    postmortems and planning sessions), the latest sessions, the decisions and
    their sign-off."""
    sessions = list(products.session_list(product=product)[:5])
    for session in sessions:
        session.personas = products.personas_present(session, product)
    # A product takes a handful of decisions: one read serves both lists.
    decisions = list(cards.decision_list(product=product))
    return {
        "action_items": product_action_items(product=product, now=now),
        "sessions": sessions,
        "decisions": decisions,
        "decisions_pending": [d for d in decisions if d.pending_count],
    }


# Tab → what it gathers; its template is pages/product_<tab>.html.
PRODUCT_TABS = {
    "overview": _overview,
    "metrics": _metrics,
    "delivery": _delivery,
    "work": _work,
}


def _outcomes(product: Product, now: datetime) -> dict[str, Any]:
    """Cost, value and payback; the last weeks' feedback (tracker.outcomes)."""
    weekly = outcomes.feedback_weekly(product=product, weeks=8, now=now)
    return {
        "value": outcomes.value_for_product(product),
        "weekly": weekly,
        "feedback_total": sum(week["total"] for week in weekly),
    }


def metric_page(*, metric: SuccessMetric, product: Product) -> dict[str, Any]:
    """A metric's page: every measurement (segments' included), the latest of
    the whole product, progress, the worst segment, and the chart of its history
    with the product's production deployments and rollbacks marked."""
    measurements = list(
        metric.measurements.select_related(
            "recorded_by", "segment", "arm__experiment__product"
        ).order_by("measured_at", "id")
    )
    # A segment's or an experiment arm's values are not the metric's.
    history = [m for m in measurements if m.segment_id is None and m.arm_id is None]
    latest = history[-1] if history else None
    metrics_with_segments([metric])
    return {
        "measurements": list(reversed(measurements)),
        "latest": latest,
        "progress": metric.progress(latest.value if latest else None),
        "chart": before_after_chart(
            [(m.measured_at, m.value) for m in history],
            baseline=metric.baseline,
            target=metric.target,
            launched_at=product.launched_at,
            width=720,
            height=220,
            label=f"{metric.name} over time",
            unit=metric.unit,
            y_title=metric.unit or metric.name,
            markers=releases.chart_markers(product_id=product.pk),
        ),
        **audit_selectors.history_for(metric, product_slug=product.slug),
    }


def sla_chart(*, sla: ServiceLevel, product: Product) -> SafeString:
    """An SLA's checks over time, its threshold drawn as the baseline, and the
    product's production deployments and rollbacks marked."""
    latest = sla.checks.order_by("-checked_at", "-id").values_list(
        "checked_at", "value"
    )
    return before_after_chart(
        list(reversed(latest[:500])),
        baseline=sla.threshold,
        target=None,
        launched_at=None,
        width=720,
        height=160,
        label=f"{sla.name} checks over time",
        markers=releases.chart_markers(product_id=product.pk),
    )


def session_page(
    *, session: PlanningSession, product: Product, user: User
) -> dict[str, Any]:
    """The planning-session workspace: attendees, decisions, the data survey and
    the action items decided in the session."""
    features = list(product.survey.all())
    return {
        "product": product,
        "session": session,
        "personas": products.personas_present(session, product),
        "can_edit": products.user_can_edit_product(user, product),
        "survey": features,
        "survey_status": products.survey_status(features),
        # Decisions become owned, dated action items (tracker.postmortems).
        "action_items": session_action_items(session=session),
        # The session's action items (the session itself is not audited).
        **audit_selectors.history_for(
            session, product_slug=product.slug, kind="action_item"
        ),
    }
