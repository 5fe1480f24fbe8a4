from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ReportsConfig(AppConfig):
    name = "tracker.reports"
    label = "reports"
    verbose_name = "Leadership reports"

    def ready(self) -> None:
        from tracker.lib.aggregates import register_sqlite_functions

        # Registers the portfolio's stored figures: the refresh task (in a
        # worker too) finds them by name.
        from tracker.reports.selectors import overview  # noqa: F401

        connection_created.connect(register_sqlite_functions)
