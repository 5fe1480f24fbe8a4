"""WSGI entry point for the benchmarks: the site's own (tracker.wsgi) with
benchmarks.floor_urls as its URLconf, so the floor views exist only in
benchmark runs and are served exactly as the site is."""

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
django.setup()
settings.ROOT_URLCONF = "benchmarks.floor_urls"

from tracker.wsgi import application  # noqa: E402

__all__ = ["application"]
