from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "tracker.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems and action items"
