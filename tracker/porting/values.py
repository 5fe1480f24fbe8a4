"""Column values to and from JSON, and the database's constraints checked on rows
that are not saved yet, so an import reports every problem with its place in
the document before it writes anything."""

import math
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.dateparse import parse_date, parse_datetime, parse_duration
from django.utils.duration import duration_iso_string

DATETIME_HINT = "ISO 8601 with a time zone, e.g. 2026-05-01T09:30:00+00:00"


class BadValue(Exception):
    """A JSON value that does not fit its column; the message says what would."""


def dump(field: models.Field, value: Any) -> Any:
    """A column value as JSON: text dates, ISO 8601 durations, JSON as it is."""
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.DateField):  # dates and datetimes
        return value.isoformat()
    if isinstance(field, models.DurationField):
        return duration_iso_string(value)
    if isinstance(value, str | bool | int | float):
        return value
    return DjangoJSONEncoder().default(value)


def load(field: models.Field, raw: Any) -> Any:
    """The column value for a JSON value; BadValue when the type is wrong.

    Strict on types (a number is not a string of digits) so that a document
    written by hand fails loudly rather than being guessed at. Ranges, choices,
    lengths and validators are the model's (Model.clean_fields) afterwards.
    """
    if raw is None:
        return None
    for kinds, loader in _LOADERS:
        if isinstance(field, kinds):
            return loader(raw)
    try:
        return field.to_python(raw)
    except ValidationError as error:
        raise BadValue(" ".join(error.messages)) from None


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise BadValue("A string is required.")
    if "\x00" in raw:
        raise BadValue("Text may not contain NUL characters.")
    return raw


def _boolean(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise BadValue("true or false is required.")
    return raw


def _integer(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadValue("A whole number is required.")
    return raw


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise BadValue("A number is required.")
    try:
        value = float(raw)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise BadValue("A finite number is required.")
    return value


def _parsed(parse, hint: str):
    def loader(raw: Any):
        try:
            value = parse(_text(raw))
        except ValueError:  # well-formed but impossible, e.g. month 13
            value = None
        if value is None:
            raise BadValue(f"{hint} is required.")
        return value

    return loader


_datetime = _parsed(parse_datetime, f"A date and time ({DATETIME_HINT})")


def load_datetime(raw: Any):
    value = _datetime(raw)
    if value.tzinfo is None:
        raise BadValue(f"Give the time zone ({DATETIME_HINT}).")
    return value


def _json(raw: Any) -> Any:
    if any("\x00" in text for text in _strings(raw)):
        raise BadValue("Text may not contain NUL characters.")
    return raw


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# Most specific first: a DateTimeField is a DateField, a BooleanField is no
# IntegerField but bool is an int.
_LOADERS = [
    (models.JSONField, _json),
    (models.BooleanField, _boolean),
    (models.IntegerField, _integer),
    (models.FloatField, _number),
    (models.DateTimeField, load_datetime),
    (models.DateField, _parsed(parse_date, "A date (YYYY-MM-DD)")),
    (
        models.DurationField,
        _parsed(parse_duration, "A duration (ISO 8601, e.g. P1DT2H)"),
    ),
    ((models.CharField, models.TextField), _text),
]


# --- Constraints on unsaved rows ------------------------------------------------


class Unsupported(Exception):
    """A condition this evaluator cannot decide; the database will."""


def holds(condition: Q, row: models.Model) -> bool | None:
    """Whether `row` meets `condition`, with SQL's three values: None (unknown,
    a NULL compared) counts as met, as it does in a CHECK constraint.

    Covers what the tracker's constraints use: exact, in, isnull and the
    comparisons, against values or F() of the same row, in any and/or/not
    nesting. Foreign keys count as set when a row is assigned, saved or not.
    """
    results = [
        holds(child, row) if isinstance(child, Q) else _lookup(row, *child)
        for child in condition.children
    ]
    if condition.connector == Q.AND:
        value = False if False in results else None if None in results else True
    elif condition.connector == Q.OR:
        value = True if True in results else None if None in results else False
    else:
        raise Unsupported(condition.connector)
    if condition.negated and value is not None:
        return not value
    return value


_COMPARE = {
    "exact": lambda a, b: a == b,
    "in": lambda a, b: a in b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _lookup(row: models.Model, lookup: str, expected: Any) -> bool | None:
    name, _, operator = lookup.partition("__")
    value = column(row, name)
    if operator == "isnull":
        return (value is None) == expected
    if isinstance(expected, F):
        expected = column(row, expected.name)
    elif hasattr(expected, "resolve_expression"):
        raise Unsupported(lookup)
    compare = _COMPARE.get(operator or "exact")
    if compare is None:
        raise Unsupported(lookup)
    if expected is None and operator in ("", "exact"):
        return value is None
    if value is None or expected is None:
        return None
    return compare(value, expected)


def broken_checks(row: models.Model) -> list[str]:
    """The messages of the CHECK constraints `row` breaks. Conditions this
    evaluator can't decide are left to the database (the import still writes
    all or nothing)."""
    broken = []
    for constraint in row._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            try:
                met = holds(constraint.condition, row)
            except Unsupported:
                continue
            if met is False:
                broken.append(constraint.get_violation_error_message())
    return broken


def repeated(
    model: type[models.Model], rows: list[models.Model]
) -> Iterator[tuple[int, list[str], str]]:
    """Rows that repeat an earlier one's unique columns: (index, the columns,
    the message). Related rows compare by identity (unsaved rows have no id)."""
    for names, condition, message in _unique_sets(model):
        seen: set[tuple] = set()
        for index, row in enumerate(rows):
            try:
                if condition is not None and holds(condition, row) is not True:
                    continue
                key = tuple(_identity(column(row, name)) for name in names)
                if None in key:  # NULLs never clash
                    continue
                if key in seen:
                    yield index, names, message
                seen.add(key)
            except (Unsupported, TypeError):  # an undecidable or unhashable value
                break


def _unique_sets(model: type[models.Model]) -> list[tuple[list[str], Any, str]]:
    found = []
    verbose = model._meta.verbose_name
    for f in model._meta.concrete_fields:
        if f.unique and not f.primary_key:
            message = f"Listed twice: another {verbose} has this {f.verbose_name}."
            found.append(([f.name], None, message))
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            message = constraint.violation_error_message
            if message == constraint.default_violation_error_message:
                fields = ", ".join(constraint.fields)
                message = f"Listed twice: another {verbose} has the same {fields}."
            found.append((list(constraint.fields), constraint.condition, message))
    return found


def _identity(value: Any) -> Any:
    return id(value) if isinstance(value, models.Model) else value


def column(row: models.Model, name: str) -> Any:
    """A field's value; for a relation, the row it points at (saved or not)."""
    field = row._meta.get_field(name)
    if field.is_relation:
        return field.get_cached_value(row, default=None)
    return getattr(row, field.attname)
