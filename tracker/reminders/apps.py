from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RemindersConfig(AppConfig):
    name = "tracker.reminders"
    label = "reminders"
    verbose_name = "Reminders and notifications"

    def ready(self) -> None:
        # Every app may define reminder rules in a `reminder_rules` module; they
        # register themselves on import (see registry.py), so a new rule needs no
        # change to the engine.
        autodiscover_modules("reminder_rules")
