"""SQL helpers shared by the selectors."""

import pytest

from tests.factories import ProductFactory
from tracker.lib.aggregates import in_ids
from tracker.products.models import Product

pytestmark = pytest.mark.django_db


def test_in_ids_filters_by_a_list_of_ids(team):
    a, b, c = (ProductFactory(team=team) for _ in range(3))
    found = Product.objects.filter(in_ids("id", [a.pk, c.pk, 10**12]))
    assert set(found) == {a, c}
    assert not Product.objects.filter(in_ids("id", [])).exists()
    assert Product.objects.filter(in_ids("team_id", [team.pk])).count() == 3
    assert b not in Product.objects.exclude(in_ids("id", [b.pk]))
