from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "tracker.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Every write path (pages, API, admin, tasks, alert hooks, commands)
        # saves through the ORM, so the trail hangs on model signals. Each app
        # says in its audit.py which of its models are governed (registry.py).
        from tracker.audit import context, recorder

        autodiscover_modules("audit")
        recorder.connect()
        context.connect_celery()
