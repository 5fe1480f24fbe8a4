"""The Celery app. Settings come from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The periodic schedule lives here, in code, beside the app that runs it.
# `expires` drops a run a busy worker did not start in time: the next one does
# the same work.
app.conf.beat_schedule = {
    # Record due reminders (KPI follow-ups and reviews, surveys, SLAs, action
    # items, late postmortem drafts) and queue the mail.
    "reminders-sweep": {
        "task": "tracker.reminders.tasks.reminders_sweep",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # Mail held for quiet hours, retried after a lease, or queued by hand.
    "reminders-dispatch": {
        "task": "tracker.reminders.tasks.reminders_dispatch",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # Daily digests, each person at their own local digest hour.
    "reminders-digests": {
        "task": "tracker.reminders.tasks.digests_send_due",
        "schedule": crontab(minute=2),
        "options": {"expires": 50 * 60},
    },
    # Weekly leadership digests: on Monday at each subscriber's local digest hour.
    # Hourly every day: Monday morning somewhere is Sunday, Monday or Tuesday in UTC.
    "reports-leadership-digests": {
        "task": "tracker.reports.tasks.leadership_digests_send_due",
        "schedule": crontab(minute=4),
        "options": {"expires": 50 * 60},
    },
    # Alert deliveries whose ingestion task was never queued (Redis was down
    # when they arrived) or whose worker died.
    "alert-deliveries-sweep": {
        "task": "tracker.incidents.tasks.deliveries_sweep",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # SLAs measured from Prometheus whose interval has passed.
    "slas-evaluate": {
        "task": "tracker.integrations.tasks.slas_evaluate_due",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # Outgoing webhooks: deliveries for new events, and retries whose back-off
    # has passed.
    "webhooks-sweep": {
        "task": "tracker.integrations.tasks.webhooks_sweep",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # Model versions kept in step with each product's MLflow registry.
    "releases-mlflow-sync": {
        "task": "tracker.releases.tasks.mlflow_sync_all",
        "schedule": crontab(minute=17),
        "options": {"expires": 50 * 60},
    },
    # Portfolio exports: queued ones whose task was lost queued again, stuck
    # ones failed, and old files deleted.
    "reports-exports-sweep": {
        "task": "tracker.reports.tasks.exports_sweep",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # Each product's standing in the portfolio (the page's team summaries,
    # attention list and sort keys), a task per batch of products; the interval
    # is STANDINGS_EVERY in tracker/reports/tasks.py.
    "reports-standings-refresh": {
        "task": "tracker.reports.tasks.standings_refresh",
        "schedule": 5 * 60,
        "options": {"expires": 4 * 60},
    },
    # The reports' stored figures nobody asked for in a day (a page asks for
    # the ones it reads to be computed again: tracker/reports/stored.py).
    "reports-stored-figures-purge": {
        "task": "tracker.reports.tasks.stored_figures_purge",
        "schedule": 60 * 60,
        "options": {"expires": 50 * 60},
    },
    # Sign-in throttle counters of windows that have ended.
    "login-counters-purge": {
        "task": "tracker.accounts.tasks.login_counters_purge_task",
        "schedule": 60 * 60,
        "options": {"expires": 50 * 60},
    },
}
