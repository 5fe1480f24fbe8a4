from django.apps import AppConfig


class PortingConfig(AppConfig):
    name = "tracker.porting"
    label = "porting"
    verbose_name = "Export and import"
