"""Export, wipe, import, export again: the same document. Timestamps included
(auto_now / auto_now_add ones too), references by natural key, per product and
for the whole instance, on SQLite and on PostgreSQL."""

import pytest

from tests.porting.conftest import every_place, exported, places, wipe
from tracker.accounts.models import User
from tracker.porting.services import data_import
from tracker.postmortems.models import Postmortem
from tracker.products.models import Product


def _instance_round_trip():
    before = exported()
    # The dataset puts rows at every place of the document.
    filled = {place for place, count in places(before).items() if count}
    assert filled == every_place()
    wipe()
    summary = data_import(document=before)
    assert exported() == before
    return before, summary


def test_instance_round_trip_gives_the_same_document(rich):
    before, summary = _instance_round_trip()
    usernames = sorted(user["username"] for user in before["users"])
    assert sorted(summary.users_created) == usernames
    assert not User.objects.filter(is_active=True).exists()
    assert not any(user.has_usable_password() for user in User.objects.all())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_instance_round_trip_on_postgresql(rich):
    _instance_round_trip()


def test_product_round_trip_into_an_instance_that_lacks_it(rich):
    facts = ["title", "followup_severity", "followup_from"]
    postmortems = Postmortem.objects.filter(product__slug="fraud-score")
    kept = sorted(postmortems.values_list(*facts))
    assert any(start for *_, start in kept)
    before = exported(Product.objects.get(slug="fraud-score"))
    wipe()
    data_import(document=before)
    assert exported(Product.objects.get(slug="fraud-score")) == before
    # Not carried, worked out again: each postmortem's follow-up facts (and
    # deadline: none here, the policies are the instance's, not the product's).
    assert sorted(postmortems.values_list(*facts)) == kept
