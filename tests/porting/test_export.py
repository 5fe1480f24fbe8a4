"""Exporting: pages of products with a fixed number of queries per kind of row,
per-product exports that stand alone, personal data only for staff, and the
export_data command."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.porting.conftest import exported, wipe
from tracker.incidents.models import Incident
from tracker.porting import selectors, spec
from tracker.porting.services import data_import
from tracker.postmortems.models import Postmortem
from tracker.products.models import Product
from tracker.reminders.services.notifications import preferences_update


def _copy_of(document: dict, n: int) -> dict:
    """A product export renamed, so it imports as one more product."""
    text = json.dumps(document)
    for slug in ("fraud-score", "risk-payments"):
        text = text.replace(f'"{slug}"', f'"{slug}-{n}"')
    copy = json.loads(text)
    copy["teams"][0]["name"] += f" {n}"
    return copy


def _export_queries() -> int:
    with CaptureQueriesContext(connection) as captured:
        "".join(selectors.export_instance(page=100))
    return len(captured)


def test_export_queries_do_not_grow_with_the_rows(rich):
    fraud = exported(Product.objects.get(slug="fraud-score"))
    data_import(document=_copy_of(fraud, 1))
    before = _export_queries()
    for n in range(2, 5):
        data_import(document=_copy_of(fraud, n))
    assert Product.objects.count() == 11
    assert _export_queries() == before
    # One query per kind of row, about one per kind of reference to map ids to
    # names (segments are looked up for measurements and for feedback apart),
    # and a few per page: no more.
    kinds = len(list(spec.nodes())) + sum(len(node.many) for node in spec.nodes())
    assert before <= kinds + len(spec.REF_KINDS) + 4


def test_pages_and_pieces_of_any_size_give_the_same_document(rich, monkeypatch):
    whole = json.loads("".join(selectors.export_instance(page=1000)))
    monkeypatch.setattr(selectors, "PIECE", 1000)
    pieces = list(selectors.export_instance(page=1))
    assert len(pieces) > 10
    paged = json.loads("".join(pieces))
    assert paged.pop("exported_at") and whole.pop("exported_at")
    assert paged == whole


def test_a_product_export_holds_the_product_its_team_and_the_people_it_names(rich):
    document = exported(Product.objects.get(slug="fraud-score"))
    assert document["scope"] == "product"
    assert [p["slug"] for p in document["products"]] == ["fraud-score"]
    assert [t["slug"] for t in document["teams"]] == ["risk-payments"]
    assert document["untriaged_incidents"] == []
    named = {user["username"] for user in document["users"]}
    assert {"alice", "bob", "carol"} <= named  # owners and team members
    assert "nobody-refers-to-me" not in named
    assert [i["name"] for i in document["integrations"]] == ["Prometheus prod-eu"]


def test_references_to_other_products_are_written_as_null(rich):
    """An incident covered by a postmortem, then moved to another product."""
    postmortem = Postmortem.objects.filter(timeline__incident__isnull=False).first()
    incident = postmortem.incidents.first()
    Incident.objects.filter(pk=incident.pk).update(
        product=Product.objects.get(slug="search-ranking")
    )
    document = exported(postmortem.product)
    written = next(
        p
        for p in document["products"][0]["postmortems"]
        if p["title"] == postmortem.title
    )
    assert written["incidents"] == []
    assert all(m["incident"] is None for m in written["timeline"])
    assert all(m["source_entry"] is None for m in written["timeline"])
    wipe()  # the document stands alone: it imports into an empty instance
    data_import(document=document)
    assert exported(Product.objects.get()) == document


def test_people_who_are_not_staff_export_no_addresses_or_preferences(product, alice):
    preferences_update(user=alice, data={"digest_enabled": True})
    staff = {u["username"]: u for u in exported(product, personal=True)["users"]}
    others = {u["username"]: u for u in exported(product, personal=False)["users"]}
    assert staff["alice"]["email"] == "alice@example.org"
    assert staff["alice"]["preferences"]["digest_enabled"] is True
    assert others["alice"]["email"] == "" and others["bob"]["email"] == ""
    assert others["alice"]["preferences"] is None


# --- The command -----------------------------------------------------------------


def test_export_data_writes_a_file_or_stdout(product, tmp_path, capsys):
    target = tmp_path / "all.json"
    call_command("export_data", "--output", str(target))
    assert json.loads(target.read_text())["scope"] == "instance"
    assert not (tmp_path / "all.json.partial").exists()
    call_command("export_data", "--product", "fraud-score")
    assert json.loads(capsys.readouterr().out)["products"][0]["slug"] == "fraud-score"


def test_export_data_names_an_unknown_product(db):
    with pytest.raises(CommandError, match="No product has the slug 'nope'"):
        call_command("export_data", "--product", "nope")
