"""A benchmark-only URLconf: the whole site plus framework-floor views.

A floor is the least a Django request of its kind can cost on this stack, through
the same middleware:

- /benchmark/floor/: one INSERT, a small JSON answer. ci_status_throughput.py
  serves it beside the CI-status API (via floor_wsgi.py) and compares the two.
- /benchmark/floor/report/: the products, one plain query, rendered one row each
  into a simple template table. report_render.py compares the portfolio report
  with it.

Never used by the site itself.
"""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

FLOOR_TABLE = "benchmark_floor"
REPORT_FLOOR_SQL = """
    SELECT p.slug, p.name, t.name, p.stage, p.risk_tier, p.launched_at
    FROM products_product p JOIN accounts_team t ON t.id = p.team_id
    ORDER BY t.name, p.name
"""
_REPORT_FLOOR_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Products</title></head><body>
<table><thead><tr><th>Product</th><th>Team</th><th>Stage</th><th>Risk tier</th>
<th>Launched</th></tr></thead><tbody>
{% for slug, name, team, stage, risk_tier, launched_at in rows %}<tr>
<td><a href="/products/{{ slug }}/">{{ name }}</a></td><td>{{ team }}</td>
<td>{{ stage }}</td><td>{{ risk_tier }}</td><td>{{ launched_at|date:"Y-m-d" }}</td>
</tr>{% endfor %}
</tbody></table></body></html>"""


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (payload, created_at) VALUES (%s, now())",
            [request.body.decode()],
        )
    return JsonResponse({"ok": True}, status=201)


@cache
def _report_floor_template():
    # Compiled once, as the cached template loader does for the site's templates.
    return engines["django"].from_string(_REPORT_FLOOR_TEMPLATE)


@login_required
def report_floor(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(REPORT_FLOOR_SQL)
        rows = cursor.fetchall()
    return HttpResponse(_report_floor_template().render({"rows": rows}, request))


urlpatterns = [
    path("benchmark/floor/", floor),
    path("benchmark/floor/report/", report_floor),
    path("", include("tracker.urls")),
]
