"""Helpers for the reminders tests: fixed instants, scheduled metrics, a beat tick."""

from datetime import UTC, datetime, timedelta

from tracker.products import services as product_services
from tracker.reminders import tasks
from tracker.reminders.models import Reminder

LAUNCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def make_metric(product, *, owner=None, cadence=7, name="Chargeback losses"):
    """A metric scheduled the way the app schedules it (next_due_at set)."""
    return product_services.metric_create(
        product=product,
        data={
            "name": name,
            "owner": owner,
            "cadence_days": cadence,
            "baseline": 10,
            "baseline_at": (LAUNCH - 30 * DAY).date(),
        },
    )


def run(time_machine, at: datetime) -> dict[str, int]:
    """What beat does at `at`: sweep (which dispatches and sends), then digests."""
    time_machine.move_to(at, tick=False)
    recorded = tasks.reminders_sweep()
    tasks.digests_send_due()
    return recorded


def rows(**filters) -> list[tuple[str, str, bool]]:
    """(username, channel, escalation) of the reminders recorded, sorted."""
    return list(
        Reminder.objects.filter(**filters)
        .order_by("recipient__username", "channel", "id")
        .values_list("recipient__username", "channel", "escalation")
    )
