from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "tracker.incidents"
    label = "incidents"
    verbose_name = "Incidents and alerting"
