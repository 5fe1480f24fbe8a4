from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "tracker.cards"
    label = "cards"
    verbose_name = "Model cards and decisions"
