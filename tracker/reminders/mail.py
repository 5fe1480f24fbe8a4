"""Reminder e-mail: a .txt and .html template pair per rule
(templates/emails/reminder_<rule>.txt/.html), one pair for the daily digest and
one for the weekly leadership digest, sent through Django's mail backend. Times
are shown in the recipient's time zone."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tracker.reminders import registry
from tracker.reminders.models import (
    Digest,
    LeadershipDigest,
    NotificationPreferences,
    Reminder,
)
from tracker.reports.selectors.rows import Portfolio


def _one_line(text: str) -> str:
    """Mail headers must not carry line breaks from names people typed."""
    return " ".join(text.split())


def _message(
    *,
    subject: str,
    templates: tuple[str, str],
    context: dict,
    to: str,
    prefs: NotificationPreferences,
) -> EmailMultiAlternatives:
    context = {
        **context,
        "site_url": settings.SITE_URL,
        "preferences_url": settings.SITE_URL + reverse("reminders:preferences"),
        "zone": prefs.zone,
    }
    with timezone.override(prefs.zone):
        text = render_to_string(templates[0], context)
        html = render_to_string(templates[1], context)
    message = EmailMultiAlternatives(subject=_one_line(subject), body=text, to=[to])
    message.attach_alternative(html, "text/html")
    return message


def reminder_message(
    reminder: Reminder, prefs: NotificationPreferences
) -> EmailMultiAlternatives:
    rule = registry.get_rule(reminder.rule)
    headline = rule.headline(reminder.escalation)
    return _message(
        subject=f"{headline}: {reminder.title}",
        templates=rule.email_templates,
        context={
            "reminder": reminder,
            "recipient": reminder.recipient,
            "headline": headline,
        },
        to=reminder.recipient.email,
        prefs=prefs,
    )


def send_reminder(reminder: Reminder, prefs: NotificationPreferences) -> None:
    reminder_message(reminder, prefs).send()


def send_digest(
    digest: Digest, items: list[Reminder], prefs: NotificationPreferences
) -> None:
    for item in items:
        rule = registry.get_rule(item.rule)
        item.headline = rule.headline(item.escalation) if rule else item.rule
    count = len(items)
    _message(
        subject=f"{count} follow-up{'s' if count != 1 else ''} waiting for you",
        templates=("emails/digest.txt", "emails/digest.html"),
        context={"digest": digest, "items": items, "recipient": digest.recipient},
        to=digest.recipient.email,
        prefs=prefs,
    ).send()


def leadership_digest_message(
    digest: LeadershipDigest, portfolio: Portfolio, prefs: NotificationPreferences
) -> EmailMultiAlternatives:
    rows = portfolio.attention
    if rows:
        needs = "1 product needs" if len(rows) == 1 else f"{len(rows)} products need"
    else:
        needs = "no product needs"
    return _message(
        subject=f"Portfolio, week {digest.week}: {needs} attention",
        templates=("emails/leadership_digest.txt", "emails/leadership_digest.html"),
        context={
            "digest": digest,
            "recipient": digest.recipient,
            "portfolio": portfolio,
            "rows": rows,
            "needs": needs,
            "portfolio_url": settings.SITE_URL + reverse("reports:portfolio"),
        },
        to=digest.recipient.email,
        prefs=prefs,
    )


def send_leadership_digest(
    digest: LeadershipDigest, portfolio: Portfolio, prefs: NotificationPreferences
) -> None:
    leadership_digest_message(digest, portfolio, prefs).send()
