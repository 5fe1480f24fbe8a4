"""Reminder e-mail: a .txt and .html template pair per rule
(templates/emails/reminder_<rule>.txt/.html) and one pair for the daily digest,
sent through Django's mail backend. Times are shown in the recipient's time
zone. `compose_message` also writes the weekly leadership digest
(tracker/reports/digest.py)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tracker.reminders import registry
from tracker.reminders.models import (
    Digest,
    NotificationPreferences,
    Reminder,
)


def _one_line(text: str) -> str:
    """Mail headers must not carry line breaks from names people typed."""
    return " ".join(text.split())


def compose_message(
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
    return compose_message(
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
    compose_message(
        subject=f"{count} follow-up{'s' if count != 1 else ''} waiting for you",
        templates=("emails/digest.txt", "emails/digest.html"),
        context={"digest": digest, "items": items, "recipient": digest.recipient},
        to=digest.recipient.email,
        prefs=prefs,
    ).send()
