"""Releases fixtures: the API clients of tests/api, and a product of carol's."""

import pytest

from tests.api.conftest import (  # noqa: F401  (fixtures)
    _fresh_throttles,
    alice_api,
    bearer,
    bob_api,
    carol_api,
    ci_api,
    ci_raw,
)
from tests.factories import ProductFactory


@pytest.fixture
def other_product(other_team, carol):
    return ProductFactory(
        name="Churn model", slug="churn", team=other_team, pm_owner=carol
    )
