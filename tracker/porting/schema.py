"""The export document as a JSON Schema (OpenAPI 3.0 dialect), derived from the
spec so it always says what the exporter writes and the importer reads. It is
the `ExportDocument` component of the API schema (the export and import
endpoints refer to it)."""

from typing import Any

from django.db import models

from tracker.porting import spec
from tracker.porting.reader import HEADER, SCOPES

COMPONENT = "ExportDocument"
REF = {"$ref": f"#/components/schemas/{COMPONENT}"}

_REFERENCES = {
    spec.USER: {"type": "string", "description": "A username listed in `users`."},
    spec.TEAM: {"type": "string", "description": "A team slug listed in `teams`."},
    spec.PRODUCT: {"type": "string", "description": "A product slug in `products`."},
    spec.INTEGRATION: {"type": "string", "description": "An integration's `key`."},
    spec.INCIDENT: {"type": "string", "description": "An incident's `key`."},
    spec.SLA: {
        "type": "object",
        "description": "An SLA of a product in the document.",
        "properties": {"product": {"type": "string"}, "name": {"type": "string"}},
    },
    spec.PRODUCT_SLA: {"type": "string", "description": "An SLA of this product."},
    spec.METRIC: {"type": "string", "description": "A metric of this product."},
    spec.SEGMENT: {"type": "string", "description": "A segment of this product."},
    spec.ARM: {
        "type": "object",
        "description": "An arm of an experiment of this product, by both names.",
        "properties": {"experiment": {"type": "string"}, "arm": {"type": "string"}},
    },
    spec.ENTRY: {
        "type": "object",
        "description": "An incident's timeline entry, by its position (0: first).",
        "properties": {
            "incident": {"type": "string"},
            "position": {"type": "integer", "minimum": 0},
        },
    },
}


def document_schema() -> dict[str, Any]:
    lists = {
        node.key: {"type": "array", "items": _node(node)} for node in spec.DOCUMENT
    }
    return {
        "type": "object",
        "description": "An export of the tracker's data (docs/porting.md).",
        "required": list(HEADER),
        "properties": {
            "format": {"type": "string", "enum": [spec.FORMAT]},
            "version": {"type": "integer", "enum": [spec.VERSION]},
            "exported_at": {"type": "string", "format": "date-time"},
            "scope": {"type": "string", "enum": list(SCOPES)},
            **lists,
        },
        "additionalProperties": False,
    }


def add_component(result: dict, generator: Any, **kwargs: Any) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[COMPONENT] = document_schema()
    return result


def _node(node: spec.Node) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if node.keyed:
        properties[spec.KEY] = {
            "type": "string",
            "description": "This row's key within the document.",
        }
    for f in node.fields:
        kind = node.refs.get(f.name)
        schema = dict(_REFERENCES[kind]) if kind else _column(f)
        if f.null:
            schema["nullable"] = True
        properties[f.name] = schema
    for name, kind in node.many.items():
        properties[name] = {"type": "array", "items": _REFERENCES[kind]}
    for child in node.children:
        if child.single:
            properties[child.key] = {**_node(child), "nullable": True}
        else:
            properties[child.key] = {"type": "array", "items": _node(child)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


_TYPES = [
    (models.JSONField, {}),
    (models.BooleanField, {"type": "boolean"}),
    (models.IntegerField, {"type": "integer"}),
    (models.FloatField, {"type": "number"}),
    (models.DateTimeField, {"type": "string", "format": "date-time"}),
    (models.DateField, {"type": "string", "format": "date"}),
    (models.DurationField, {"type": "string", "description": "ISO 8601 duration"}),
]


def _column(f: models.Field) -> dict[str, Any]:
    schema = next(
        (dict(kind) for cls, kind in _TYPES if isinstance(f, cls)), {"type": "string"}
    )
    if f.choices:
        schema["enum"] = [value for value, _ in f.flatchoices]
        if f.blank and "" not in schema["enum"]:
            schema["enum"].append("")
    if isinstance(f, models.CharField) and f.max_length:
        schema["maxLength"] = f.max_length
    if f.help_text:
        schema["description"] = str(f.help_text)
    return schema
