"""WSGI entry point for the benchmark: the site with benchmarks.floor_urls as its
URLconf, so the floor view exists only in benchmark runs."""

import os

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
django.setup()
settings.ROOT_URLCONF = "benchmarks.floor_urls"
application = get_wsgi_application()
