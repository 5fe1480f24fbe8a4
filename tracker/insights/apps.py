from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "tracker.insights"
    label = "insights"
    verbose_name = "Insights across failures"

    def ready(self) -> None:
        from tracker.insights.stored import INSIGHTS
        from tracker.reports.stored import register

        register(INSIGHTS)  # the stored figures' refresh task finds it by name
