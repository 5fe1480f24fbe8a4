from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "tracker.integrations"
    label = "integrations"
    verbose_name = "Integrations: Prometheus, GitHub and outgoing webhooks"
