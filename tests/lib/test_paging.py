"""Counting a list only so far (tracker.lib.paging), in the HTML lists and the
API's."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.factories import ProductFactory
from tracker.lib import paging
from tracker.lib.views import paginate
from tracker.products.models import Product

pytestmark = pytest.mark.django_db


def _page(number=None, per_page=5):
    query = {} if number is None else {"page": number}
    request = RequestFactory().get("/", query)
    return paginate(request, Product.objects.order_by("name"), per_page)


@pytest.fixture
def products(team, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_AHEAD", 10)
    return [ProductFactory(team=team, name=f"P{n:02}") for n in range(23)]


def test_a_long_list_is_counted_only_so_far(products):
    page = _page()
    assert page.paginator.capped
    assert page.paginator.limit == 10
    assert page.paginator.count == 11  # one more than counted: the list goes on
    assert [p.name for p in page] == ["P00", "P01", "P02", "P03", "P04"]
    assert page.has_next()


def test_the_count_moves_with_the_page_asked_for(products):
    page = _page(3)
    assert page.number == 3 and page.paginator.limit == 20
    assert page.paginator.capped
    last = _page(5)
    assert not last.paginator.capped and last.paginator.count == 23
    assert [p.name for p in last] == ["P20", "P21", "P22"]
    assert not last.has_next()


def test_a_short_list_is_counted_exactly(team):
    ProductFactory.create_batch(3, team=team)
    page = _page()
    assert not page.paginator.capped and page.paginator.count == 3


@pytest.mark.parametrize("number", ["junk", "-4", "0", "9" * 40, "\x00"])
def test_junk_or_huge_page_numbers_give_a_page_of_rows(products, number):
    page = _page(number)
    assert page.object_list and page.number in (1, 3, 5)


def test_the_count_neither_sorts_nor_computes_the_rows(products):
    with CaptureQueriesContext(connection) as queries:
        _page().paginator.count  # noqa: B018
    (count,) = [q["sql"] for q in queries.captured_queries]
    assert "ORDER BY" not in count and "LIMIT 11" in count


def test_the_list_page_says_there_are_more(alice_client, team, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_AHEAD", 30)
    for n in range(70):
        ProductFactory(team=team, name=f"P{n:02}")
    html = alice_client.get("/products/").content.decode()
    assert "Page 1 · more than 30" in html and "in all" not in html
    html = alice_client.get("/products/", {"page": "2"}).content.decode()
    assert "Page 2 · more than 55" in html and 'rel="next"' in html
    html = alice_client.get("/products/", {"page": "3"}).content.decode()
    assert "Page 3 of 3 · 70 in all" in html


def test_the_api_says_whether_its_count_is_exact(products, alice):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(alice)
    body = api.get("/api/v1/products/", {"page_size": "5"}).json()
    assert body["count"] == 11 and body["count_exact"] is False
    assert body["next"] and len(body["results"]) == 5
    body = api.get("/api/v1/products/", {"page_size": "5", "page": "5"}).json()
    assert body["count"] == 23 and body["count_exact"] is True
    assert body["next"] is None and len(body["results"]) == 3
    body = api.get("/api/v1/products/", {"page_size": "5", "page": "last"}).json()
    assert body["count"] == 23 and body["count_exact"] is True
    assert [p["name"] for p in body["results"]] == ["P20", "P21", "P22"]
