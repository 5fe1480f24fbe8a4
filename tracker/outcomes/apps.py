from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "tracker.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes after launch"
