from django.apps import AppConfig


class PagesConfig(AppConfig):
    # No models: views, page selectors and templates only.
    name = "tracker.pages"
    label = "pages"
    verbose_name = "Pages"
