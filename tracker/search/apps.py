from django.apps import AppConfig


class SearchConfig(AppConfig):
    # No models: the global search reads products, incidents, postmortems,
    # action items and people; its migration adds their text-search indexes.
    name = "tracker.search"
    label = "search"
    verbose_name = "Search"
