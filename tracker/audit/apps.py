from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tracker.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Every write path (pages, API, admin, tasks, alert hooks, commands)
        # saves through the ORM, so the trail hangs on model signals.
        from tracker.audit import context, recorder

        recorder.connect()
        context.connect_celery()
