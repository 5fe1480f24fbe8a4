from django.apps import AppConfig


class DemoConfig(AppConfig):
    # No models: installed for its management command (seed_demo).
    name = "tracker.demo"
    label = "demo"
    verbose_name = "Demo data"
