from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tracker.reports"
    label = "reports"
    verbose_name = "Leadership reports"
