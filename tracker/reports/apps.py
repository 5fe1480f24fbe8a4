from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ReportsConfig(AppConfig):
    name = "tracker.reports"
    label = "reports"
    verbose_name = "Leadership reports"

    def ready(self) -> None:
        from tracker.lib.aggregates import register_sqlite_functions

        connection_created.connect(register_sqlite_functions)
