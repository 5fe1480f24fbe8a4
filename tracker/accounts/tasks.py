"""Celery tasks for accounts; beat (tracker/celery.py) runs the purge."""

from celery import shared_task

from tracker.accounts.login_throttle import login_counters_purge


@shared_task
def login_counters_purge_task() -> int:
    """Sign-in counters of ended windows (a key's own are also purged when it
    starts a new window; this catches the keys that went quiet)."""
    return login_counters_purge()
