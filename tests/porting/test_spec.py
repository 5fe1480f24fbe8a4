"""The document spec covers every model of the tracker: a new model is either
exported or listed as excluded with its reason, and every relation of an
exported model is written as a reference or left out on purpose."""

from pathlib import Path

from tracker.incidents.models import Incident
from tracker.porting import spec

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "porting.md").read_text()


def test_every_tracker_model_is_exported_or_excluded_and_every_relation_handled():
    assert spec.problems() == []


def test_a_model_neither_exported_nor_excluded_is_reported(monkeypatch):
    excluded = dict(spec.EXCLUDED)
    model = next(iter(excluded))
    del excluded[model]
    monkeypatch.setattr(spec, "EXCLUDED", excluded)
    assert spec.problems() == [f"{model.__name__} is neither exported nor in EXCLUDED."]


def test_a_relation_neither_referenced_nor_omitted_is_reported():
    found = spec._node_problems(spec.Node(Incident, "incidents", parent="product"))
    assert len(found) == 4  # integration, sla, created_by, recurrence_of
    assert "relation integration is neither referenced nor omitted" in found[0]


def test_rows_are_inserted_after_the_rows_they_point_at():
    order = spec.insert_order()
    for position, model in enumerate(order):
        for f in model._meta.concrete_fields:
            if (
                f.is_relation
                and f.related_model in order
                and f.related_model is not model
            ):
                assert order.index(f.related_model) < position, (model, f.name)


def test_the_docs_name_every_list_and_every_excluded_model():
    for node in spec.nodes():
        assert f"`{node.key}`" in DOCS, node.key
    for model in spec.EXCLUDED:
        assert str(model._meta.verbose_name_plural).lower() in DOCS.lower(), model
