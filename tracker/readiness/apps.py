from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "tracker.readiness"
    label = "readiness"
    verbose_name = "Production readiness"
