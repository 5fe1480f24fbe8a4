"""Demo data for learning across failures, for `make run`: a published
postmortem of a product that failed without any incident (Invoice OCR, retired
when it cost more than it saved), and an incident repeating the published
fraud-score one (same alert fingerprint), so the incident page shows which of
the earlier fixes were done. Written through the services; called by
tracker.demo.seed.seed_demo after the postmortems."""

from datetime import datetime, timedelta

from tracker.demo.people import user_named
from tracker.incidents.services.incidents import incident_acknowledge, incident_open
from tracker.postmortems.models import SECTIONS, Postmortem, Status
from tracker.postmortems.services.parts import factor_add
from tracker.postmortems.services.warnings import warning_accept
from tracker.postmortems.services.writeup import (
    postmortem_create,
    postmortem_transition,
)
from tracker.products.models import Product

FAILURE_TEXT = {
    "summary": "Invoice OCR was retired after 13 months in production: it "
    "booked 41% of invoices without manual keying against a target of 80%, and "
    "its labelling and review costs exceeded the keying time it saved.",
    "impact": "- About 1,900 hours of review work over the year.\n"
    "- The finance team kept keying the 20 largest suppliers by hand.",
    "trigger": "The quarterly KPI review showed the target out of reach at the "
    "cost the product had.",
    "detection": "Found by the 13-week KPI review, not by an alert: nothing was "
    "broken, it was simply not worth it.",
    "resolution": "Retired; the e-invoicing mandate now brings structured "
    "invoices from most suppliers.",
    "went_well": "The baseline (templates for the largest suppliers) was "
    "measured before launch, so the shortfall was clear.",
    "went_wrong": "Nobody priced the review work before the pilot; the KPI "
    "target was never tied to a cost ceiling.",
    "lessons": "Put a cost ceiling next to every business KPI target before "
    "building.\n- Review the value at each KPI review, not only the KPI.",
}


def seed_learning(*, now: datetime) -> None:
    _product_failure(now)
    _recurrence(now)


def _product_failure(now: datetime) -> None:
    alice, bob, carol = user_named("alice"), user_named("bob"), user_named("carol")
    product = Product.objects.get(slug="invoice-ocr")
    postmortem = postmortem_create(
        product=product,
        actor=bob,
        data={
            "title": "Invoice OCR cost more than it saved",
            "failure_kind": "cost_exceeded_value",
            "reviewers": [alice],
            "review_owner": carol,
            "no_action_items": True,
            **FAILURE_TEXT,
            **{s.na_field: True for s in SECTIONS if s.key not in FAILURE_TEXT},
        },
    )
    factor_add(
        postmortem=postmortem,
        actor=bob,
        data={
            "category": "process",
            "ml_kind": "",
            "description": "The success definition had no cost side.",
        },
    )
    _publish(postmortem, author=bob, reviewer=alice)


def _publish(postmortem: Postmortem, *, author, reviewer) -> None:
    for status, actor in (
        (Status.IN_REVIEW, author),
        (Status.REVIEWED, reviewer),
        (Status.PUBLISHED, author),
    ):
        if status == Status.REVIEWED:
            for warning in postmortem.warnings.all():
                warning_accept(warning=warning, actor=reviewer)
        postmortem_transition(postmortem=postmortem, actor=actor, status=status)


def _recurrence(now: datetime) -> None:
    """The fraud score's published incident fires again two days ago: its
    prevent and mitigate fixes are still open, which the page shows."""
    product = Product.objects.get(slug="fraud-score")
    earlier = product.incidents.filter(postmortems__status=Status.PUBLISHED).first()
    if earlier is None:
        return
    start = now - timedelta(days=2, hours=5)
    incident = incident_open(
        actor=None,
        source="alertmanager",
        now=start + timedelta(minutes=18),
        data={
            "product": product,
            "title": "Fraud score: approval rate down 6% after a payments release",
            "severity": "sev2",
            "kind": earlier.kind,
            "started_at": start,
            "fingerprint": earlier.fingerprint,
            "labels": earlier.labels,
        },
    )
    incident_acknowledge(
        incident=incident, actor=user_named("bob"), at=start + timedelta(minutes=25)
    )
