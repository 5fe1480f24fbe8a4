from django.apps import AppConfig


class CiConfig(AppConfig):
    name = "tracker.ci"
    verbose_name = "CI status"
    default_auto_field = "django.db.models.BigAutoField"
