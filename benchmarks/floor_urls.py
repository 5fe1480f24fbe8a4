"""A benchmark-only URLconf: the whole site plus a framework-floor view.

The floor is the least a Django request that writes can cost on this stack: the
same middleware, one INSERT, a small JSON answer. ci_status_throughput.py serves
it beside the API (via floor_wsgi.py) and compares the two. Never used by the
site itself.
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

FLOOR_TABLE = "benchmark_floor"


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (payload, created_at) VALUES (%s, now())",
            [request.body.decode()],
        )
    return JsonResponse({"ok": True}, status=201)


urlpatterns = [
    path("benchmark/floor/", floor),
    path("", include("tracker.urls")),
]
