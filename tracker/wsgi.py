import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, the URLconf) lives as long as the
# process: keep it out of the garbage collector's full passes, which would walk
# it again and again during big pages (tracker/lib/collector.py; the report
# benchmark does the same).
gc.collect()
gc.freeze()
