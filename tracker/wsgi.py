"""The WSGI application (gunicorn tracker.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()
# Import every view now rather than on the first request.
get_resolver().url_patterns  # noqa: B018
