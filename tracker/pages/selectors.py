"""Reads for screens that compose several apps: each gathers what one page shows
from the apps it reads, for a product or session already read through its
`*_get_for_user`."""

from datetime import datetime
from typing import Any

from tracker.accounts.models import User
from tracker.audit import selectors as audit_selectors
from tracker.audit.models import history_url
from tracker.cards import selectors as cards
from tracker.ci.selectors import ci_status_combined
from tracker.incidents.selectors import product_open_incidents
from tracker.lib.charts import before_after_chart
from tracker.postmortems.selectors import product_action_items, session_action_items
from tracker.products import selectors as products
from tracker.products.models import PlanningSession, Product, SuccessMetric
from tracker.readiness import selectors as readiness


def _with_chart(metric: SuccessMetric, product: Product) -> SuccessMetric:
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
    )
    metric.progress_value = metric.progress(
        metric.latest.value if metric.latest else None
    )
    return metric


def product_page(*, product: Product, user: User, now: datetime) -> dict[str, Any]:
    """The product page: owners and lifecycle, KPIs with their charts, SLAs, open
    incidents, survey, sessions, decisions awaiting sign-off, CI, action items,
    readiness, the ML Test Score and the product's own changes."""
    metrics = products.metric_list_with_latest(product=product)
    survey = list(product.survey.all())
    sessions = list(products.session_list(product=product)[:5])
    # A product takes a handful of decisions: one read serves both lists.
    decisions = list(cards.decision_list(product=product))
    for session in sessions:
        session.personas = products.personas_present(session, product)
    return {
        "product": product,
        "can_edit": products.user_can_edit_product(user, product),
        "timeline": products.stage_timeline(product=product),
        "metrics": [_with_chart(metric, product) for metric in metrics],
        "slas": products.sla_list_with_compliance(product=product),
        "incidents": product_open_incidents(product=product),
        "survey": survey,
        "survey_status": products.survey_status(survey),
        "sessions": sessions,
        "decisions": decisions,
        "decisions_pending": [d for d in decisions if d.pending_count],
        "ci": ci_status_combined(product=product),
        "action_items": product_action_items(product=product, now=now),
        "readiness": readiness.readiness_for_product(product),
        "ml_score": readiness.ml_test_score(product),
        "now": now,
        # The product's own changes; the link leads to everything's.
        "history": audit_selectors.object_history(product),
        "history_url": history_url(product.slug),
    }


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
