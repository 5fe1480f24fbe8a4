"""SQL helpers shared by the selectors."""

import pytest

from tests.factories import ProductFactory
from tracker.lib.aggregates import in_ids, in_subquery
from tracker.products.models import Product

pytestmark = pytest.mark.django_db


def test_in_ids_filters_by_a_list_of_ids(team):
    a, b, c = (ProductFactory(team=team) for _ in range(3))
    found = Product.objects.filter(in_ids("id", [a.pk, c.pk, 10**12]))
    assert set(found) == {a, c}
    assert not Product.objects.filter(in_ids("id", [])).exists()
    assert Product.objects.filter(in_ids("team_id", [team.pk])).count() == 3
    assert b not in Product.objects.exclude(in_ids("id", [b.pk]))


def test_in_subquery_filters_by_a_subquerys_values(team):
    a, b, c = (ProductFactory(team=team) for _ in range(3))
    first = Product.objects.filter(pk=a.pk).values("pk")
    last = Product.objects.filter(pk=c.pk).values("pk")
    assert set(Product.objects.filter(in_subquery("id", first))) == {a}
    either = in_subquery("id", first) | in_subquery("id", last)
    assert set(Product.objects.filter(either)) == {a, c}
    assert list(Product.objects.exclude(either)) == [b]
    assert not Product.objects.filter(in_subquery("id", first.none())).exists()
