"""The site as the test suite runs it, for gunicorn in a subprocess: settings
from tests/env.py (plain static files, no HTTPS redirect) with DEBUG turned off
at run time, as pytest-django does, so errors go through handler500."""

from django.conf import settings

import tests.env  # noqa: F401  (environment defaults before the settings load)
from tracker.wsgi import application

settings.DEBUG = False

__all__ = ["application"]
