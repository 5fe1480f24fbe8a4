"""The WSGI application (gunicorn tracker.wsgi:application)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()
# Import every view now rather than on the first request, then move all that was
# loaded (Django, the apps, DRF, their caches) out of the garbage collector's
# reach: it lives as long as the process, and a full collection that walked it
# would pause a request for tens of milliseconds.
get_resolver().url_patterns  # noqa: B018
gc.collect()
gc.freeze()
