"""Releases fixtures (the API clients are the root conftest's): a product of
carol's and frozen time."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.factories import ProductFactory


@pytest.fixture
def other_product(other_team, carol):
    return ProductFactory(
        name="Churn model", slug="churn", team=other_team, pm_owner=carol
    )


NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


@pytest.fixture
def frozen():
    """Time stands at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield
