"""A benchmark-only URLconf: the whole site plus framework-floor views.

A floor is the least a Django request of its kind can cost on this stack, through
the same middleware:

- /benchmark/floor/: one INSERT, a small JSON answer. ci_status_throughput.py
  serves it beside the CI-status API (via floor_wsgi.py) and compares the two.
- /benchmark/floor/api/: the same INSERT inside DRF's request cycle as the API
  runs it (ApiView: the bearer token read with its person and product, the
  permission, the CI throttle, a one-field input serializer, a rendered JSON
  answer). What DRF and the token cost before an endpoint does anything of its
  own; ci_status_throughput.py prints it beside the other two.
- /benchmark/floor/report/: what any page listing the report's products costs
  at least. One plain query (the products, joined to their team: no
  aggregates), and the same number of rows and cells as the report's products
  table (one <tr> per product, ten <td>, eleven values), written by a Django
  template loop, inside the site's base template (the same page chrome,
  context processors and middleware as the report). report_render.py compares
  the portfolio report with it.

Never used by the site itself.
"""

from functools import cache

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.lib.api import ApiView

FLOOR_TABLE = "benchmark_floor"
REPORT_FLOOR_SQL = """
    SELECT p.slug, p.name, t.name, p.stage, p.risk_tier, p.launched_at,
           COALESCE(p.pm_owner_id, 0), COALESCE(p.ml_owner_id, 0),
           COALESCE(p.eng_owner_id, 0), p.summary, p.id
    FROM products_product p JOIN accounts_team t ON t.id = p.team_id
    ORDER BY t.name, p.name
"""
PAGE_ROWS = 25
PAGE_FLOOR_SQL = REPORT_FLOOR_SQL.replace(
    "ORDER BY t.name, p.name", f"ORDER BY p.id LIMIT {PAGE_ROWS}"
)
# Ten columns, as the report's table has; each prints one value (the first two).
_REPORT_FLOOR_TEMPLATE = """{% extends "base.html" %}
{% block title %}Products{% endblock %}
{% block content %}<h1>Products</h1>
<table><thead><tr><th>Product</th><th>Team</th><th>Stage</th><th>Risk tier</th>
<th>Launched</th><th>PM</th><th>ML</th><th>Engineering</th><th>Summary</th>
<th>Id</th></tr></thead><tbody>
{% for slug, name, team, stage, risk, launched, pm, ml, eng, summary, id in rows %}
<tr><td><a href="/products/{{ slug }}/">{{ name }}</a></td><td>{{ team }}</td>
<td>{{ stage }}</td><td>{{ risk }}</td><td>{{ launched|date:"Y-m-d" }}</td>
<td>{{ pm }}</td><td>{{ ml }}</td><td>{{ eng }}</td><td>{{ summary }}</td>
<td>{{ id }}</td></tr>{% endfor %}
</tbody></table>{% endblock %}"""


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (payload, created_at) VALUES (%s, now())",
            [request.body.decode()],
        )
    return JsonResponse({"ok": True}, status=201)


class _FloorIn(serializers.Serializer):
    n = serializers.IntegerField()


class ApiFloor(ApiView):
    throttle_scope = "ci"
    ci_token_methods = {"POST"}

    def post(self, request: Request) -> Response:
        data = self.validated(_FloorIn)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {FLOOR_TABLE} (payload, created_at) VALUES (%s, now())",
                [str(data["n"])],
            )
        return Response({"ok": True}, status=201)


@cache
def _report_floor_template():
    # Compiled once, as the cached template loader does for the site's templates.
    return engines["django"].from_string(_REPORT_FLOOR_TEMPLATE)


def _floor_page(request: HttpRequest, sql: str) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return HttpResponse(_report_floor_template().render({"rows": rows}, request))


@login_required
def report_floor(request: HttpRequest) -> HttpResponse:
    return _floor_page(request, REPORT_FLOOR_SQL)


@login_required
def page_floor(request: HttpRequest) -> HttpResponse:
    return _floor_page(request, PAGE_FLOOR_SQL)


urlpatterns = [
    path("benchmark/floor/", floor),
    path("benchmark/floor/api/", ApiFloor.as_view()),
    path("benchmark/floor/report/", report_floor),
    path("benchmark/floor/page/", page_floor),
    path("", include("tracker.urls")),
]
