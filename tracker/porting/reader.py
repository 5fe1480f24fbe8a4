"""Reading an export document: every row checked and built, unsaved, before
anything is written (services.data_import writes them).

Problems are reported with a JSON-path-like place, `products[2].metrics[0].
baseline: A number is required.`, all at once (up to MAX_ERRORS).
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone

from tracker.accounts.models import Team, User
from tracker.incidents.models import TimelineEntry
from tracker.porting import spec, values
from tracker.products.models import Product, Segment, ServiceLevel, SuccessMetric
from tracker.products.models_experiments import ExperimentArm

MAX_ERRORS = 100
SCOPES = ("instance", "product")
HEADER = ("format", "version", "exported_at", "scope")


class DocumentError(Exception):
    """The document cannot be imported; nothing was written.

    `errors` are (place, message) pairs; `conflict` says the document is valid
    but clashes with what this instance already holds.
    """

    def __init__(self, errors: list[tuple[str, str]], *, conflict: bool = False):
        super().__init__(errors[0][1] if errors else "Invalid document.")
        self.errors = errors
        self.conflict = conflict

    @property
    def lines(self) -> list[str]:
        return [
            f"{place}: {message}" if place else message
            for place, message in self.errors
        ]

    @property
    def fields(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = defaultdict(list)
        for place, message in self.errors:
            grouped[place or "document"].append(message)
        return dict(grouped)


class _TooMany(Exception):
    pass


@dataclass(eq=False)
class Row:
    """One row of the document, built but not saved."""

    node: spec.Node
    obj: models.Model
    path: str
    # The top-level row it belongs to (a product, a team, a user…): an import
    # that keeps an existing product skips every row that belongs to it.
    owner: "Row | None" = None
    key: str | None = None
    many: dict[str, list[models.Model]] = field(default_factory=dict)
    ok: bool = True
    # Its place in the parent's list (a timeline entry is referred to by it).
    index: int = 0

    @property
    def top(self) -> "Row":
        return self.owner or self


@dataclass
class Document:
    """A valid document: its rows by model, in document order."""

    scope: str
    rows: dict[type[models.Model], list[Row]]
    top: dict[str, list[Row]]


@dataclass(eq=False)
class _Pending:
    row: Row
    name: str
    kind: str
    raw: Any
    path: str
    many: bool = False


def document_parse(raw: bytes | str) -> Any:
    """The JSON value of an uploaded document, or a DocumentError saying why not."""
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        problem = "The file is not UTF-8 text."
    except json.JSONDecodeError as error:
        problem = (
            f"Not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        )
    except (ValueError, RecursionError) as error:
        problem = f"Not valid JSON: {error}."
    raise DocumentError([("", problem)])


def document_read(document: Any) -> Document:
    """Check the whole document and build its rows; DocumentError if anything is
    wrong (a bad header stops there: the rest would only add noise)."""
    reader = _Reader()
    try:
        reader.read(document)
    except _TooMany:
        reader.errors.append(("", f"Stopped after {MAX_ERRORS} problems."))
    if reader.errors:
        raise DocumentError(reader.errors)
    return Document(scope=document["scope"], rows=reader.rows, top=reader.top)


class _Reader:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.rows: dict[type[models.Model], list[Row]] = defaultdict(list)
        self.top: dict[str, list[Row]] = {}
        self.pending: list[_Pending] = []
        # Natural and document keys → rows, for references.
        self.named: dict[tuple, Row] = {}
        self.now = timezone.now()

    def error(self, path: str, message: str) -> None:
        self.errors.append((path, message))
        if len(self.errors) >= MAX_ERRORS:
            raise _TooMany

    # --- The document ------------------------------------------------------------

    def read(self, document: Any) -> None:
        if not isinstance(document, dict):
            self.error("", "The document must be a JSON object.")
            return
        if not self._header(document):
            return
        known = {*HEADER, *(node.key for node in spec.DOCUMENT)}
        for name in document:
            if name not in known:
                self.error(name, "Unknown field.")
        for node in spec.DOCUMENT:
            items = document.get(node.key, [])
            if not isinstance(items, list):
                self.error(node.key, "A list is required.")
                continue
            self.top[node.key] = [
                row
                for index, item in enumerate(items)
                if (row := self._row(node, item, f"{node.key}[{index}]", None))
            ]
        if document["scope"] == "product":
            self._product_scope(document)
        for pending in self.pending:
            self._resolve(pending)
        for rows in self.rows.values():
            for row in rows:
                if row.ok:
                    self._constraints(row)
        for model, rows in self.rows.items():
            self._unique(model, [row for row in rows if row.ok])

    def _header(self, document: dict) -> bool:
        missing = [name for name in HEADER if name not in document]
        for name in missing:
            self.error(name, "This field is required.")
        if missing:
            return False
        if document["format"] != spec.FORMAT:
            self.error(
                "format", f'Not a tracker export: the format is "{spec.FORMAT}".'
            )
        elif document["version"] != spec.VERSION or isinstance(
            document["version"], bool
        ):
            self.error(
                "version",
                f"Version {json.dumps(document['version'])} is not supported: this "
                f"tracker reads version {spec.VERSION}.",
            )
        if document["scope"] not in SCOPES:
            self.error("scope", 'Give "instance" or "product".')
        try:
            values.load_datetime(document["exported_at"])
        except values.BadValue as problem:
            self.error("exported_at", str(problem))
        return not self.errors

    def _product_scope(self, document: dict) -> None:
        products = document.get("products", [])
        if isinstance(products, list) and len(products) != 1:
            self.error("products", "A product export holds exactly one product.")
        if document.get(spec.UNTRIAGED.key):
            self.error(
                spec.UNTRIAGED.key, "A product export holds no untriaged incidents."
            )

    # --- Rows ----------------------------------------------------------------------

    def _row(
        self, node: spec.Node, data: Any, path: str, parent: Row | None, index: int = 0
    ) -> Row | None:
        if not isinstance(data, dict):
            self.error(path, "An object is required.")
            return None
        owner = parent.top if parent else None
        row = Row(node=node, obj=node.model(), path=path, owner=owner, index=index)
        for name in data:
            if name not in node.members:
                self.error(f"{path}.{name}", "Unknown field.")
        bad = self._values(row, data)
        if parent is not None:
            setattr(row.obj, node.parent, parent.obj)
            for name, source in node.inherit.items():
                setattr(row.obj, name, values.column(parent.obj, source))
        if node.keyed:
            self._key(row, data, parent)
        for name, kind in node.refs.items():
            self.pending.append(
                _Pending(row, name, kind, data.get(name), f"{path}.{name}")
            )
        for name, kind in node.many.items():
            self._many(row, name, kind, data.get(name, []))
        self._clean(row, bad)
        self.rows[node.model].append(row)
        self._register(row, parent)
        for child in node.children:
            self._children(child, data.get(child.key), row)
        return row

    def _values(self, row: Row, data: dict) -> set[str]:
        bad = set()
        for f in row.node.value_fields:
            try:
                value = self._value(f, data)
            except values.BadValue as problem:
                self.error(f"{row.path}.{f.name}", str(problem))
                bad.add(f.name)
                continue
            setattr(row.obj, f.attname, value)
        if bad:
            row.ok = False
        return bad

    def _value(self, f: models.Field, data: dict) -> Any:
        """A column's value from the document, or its default when left out:
        what a form would store (a creation time defaults to now)."""
        automatic = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        if f.name in data:
            value = values.load(f, data[f.name])
        elif automatic:
            value = self.now
        elif f.has_default() or f.null or (f.blank and f.empty_strings_allowed):
            value = f.get_default()
        else:
            raise values.BadValue("This field is required.")
        if value is None and not f.null:
            raise values.BadValue("This field cannot be null.")
        return value

    def _clean(self, row: Row, bad: set[str]) -> None:
        """The columns' own checks: lengths, choices, validators.

        Not Model.clean(): its rules are for entering new data (a measurement
        may not lie in the future, a critical product must be judged on its
        worst case), and history an instance holds, perhaps from before a rule
        existed, must import as it was exported. What the database itself
        requires is checked (_constraints, _unique).
        """
        relations = [f.name for f in row.obj._meta.fields if f.is_relation]
        try:
            row.obj.clean_fields(exclude={*bad, *relations, *row.node.omit})
        except ValidationError as problem:
            row.ok = False
            for name, messages in problem.message_dict.items():
                where = row.path if name == NON_FIELD_ERRORS else f"{row.path}.{name}"
                for message in messages:
                    self.error(where, message)

    def _children(self, node: spec.Node, data: Any, parent: Row) -> None:
        path = f"{parent.path}.{node.key}"
        if node.single:
            if data is not None:
                self._row(node, data, path, parent)
            return
        if data is None:
            return
        if not isinstance(data, list):
            self.error(path, "A list is required.")
            return
        for index, item in enumerate(data):
            self._row(node, item, f"{path}[{index}]", parent, index)

    def _key(self, row: Row, data: dict, parent: Row | None) -> None:
        key = data.get(spec.KEY)
        where = f"{row.path}.{spec.KEY}"
        if not isinstance(key, str) or not key:
            self.error(where, "A key (a string) is required: others refer to it.")
        elif (row.node.keyed, key) in self.named:
            self.error(where, f"The key {key!r} is used twice.")
        else:
            row.key = key
            self.named[(row.node.keyed, key)] = row

    def _register(self, row: Row, parent: Row | None) -> None:
        """Remember the row by its natural key, for references to find it."""
        obj = row.obj
        if isinstance(obj, User):
            name = (spec.USER, obj.username)
        elif isinstance(obj, Team):
            name = (spec.TEAM, obj.slug)
        elif isinstance(obj, Product):
            name = (spec.PRODUCT, obj.slug)
        elif isinstance(obj, ServiceLevel):
            name = (spec.PRODUCT_SLA, id(parent.obj), obj.name)
        elif isinstance(obj, SuccessMetric):
            name = (spec.METRIC, id(parent.obj), obj.name)
        elif isinstance(obj, Segment):
            name = (spec.SEGMENT, id(parent.obj), obj.name)
        elif isinstance(obj, ExperimentArm):
            name = (spec.ARM, id(row.top.obj), parent.obj.name, obj.name)
        elif isinstance(obj, TimelineEntry) and parent.key:
            name = (spec.ENTRY, parent.key, row.index)
        else:
            return
        self.named.setdefault(name, row)

    # --- References ----------------------------------------------------------------

    def _many(self, row: Row, name: str, kind: str, raw: Any) -> None:
        where = f"{row.path}.{name}"
        if not isinstance(raw, list):
            self.error(where, "A list is required.")
            return
        seen = set()
        for index, item in enumerate(raw):
            if json.dumps(item, sort_keys=True) in seen:
                self.error(f"{where}[{index}]", "Listed twice.")
                continue
            seen.add(json.dumps(item, sort_keys=True))
            self.pending.append(
                _Pending(row, name, kind, item, f"{where}[{index}]", True)
            )
        row.many[name] = []

    def _resolve(self, pending: _Pending) -> None:
        row, raw = pending.row, pending.raw
        field_ = None if pending.many else row.obj._meta.get_field(pending.name)
        if raw is None and not pending.many:
            if not field_.null:
                self._fail(pending, "This field is required.")
            return
        try:
            target = self._target(pending.kind, raw, row)
        except values.BadValue as problem:
            self._fail(pending, str(problem))
            return
        if pending.many:
            row.many[pending.name].append(target.obj)
        else:
            setattr(row.obj, pending.name, target.obj)

    def _fail(self, pending: _Pending, message: str) -> None:
        pending.row.ok = False
        self.error(pending.path, message)

    def _target(self, kind: str, raw: Any, row: Row) -> Row:
        if kind == spec.SLA:
            product, name = self._pair(raw, "product", "name", "an SLA")
            owner = self.named.get((spec.PRODUCT, product))
            return self._find(
                (spec.PRODUCT_SLA, id(owner.obj) if owner else None, name),
                f"Product {product!r} has no SLA named {name!r} in this document.",
            )
        if kind == spec.ARM:
            experiment, arm = self._pair(raw, "experiment", "arm", "an arm")
            return self._find(
                (spec.ARM, id(row.top.obj), experiment, arm),
                f"This product has no experiment {experiment!r} with an arm "
                f"{arm!r} in this document.",
            )
        if kind == spec.ENTRY:
            incident, position = self._pair(raw, "incident", "position", "an entry")
            if isinstance(position, bool) or not isinstance(position, int):
                raise values.BadValue(
                    "The position is a whole number (0 is the first)."
                )
            return self._find(
                (spec.ENTRY, incident, position),
                f"Incident {incident!r} has no timeline entry at position {position}.",
            )
        if not isinstance(raw, str):
            raise values.BadValue(_EXPECTED[kind] + " is required.")
        if kind in spec.PRODUCT_SCOPED:
            return self._find(
                (kind, id(row.top.obj), raw),
                f"This product has no {_NOUN[kind]} named {raw!r} in this document.",
            )
        return self._find((kind, raw), _MISSING[kind].format(raw=raw))

    def _pair(self, raw: Any, first: str, second: str, what: str) -> tuple[Any, Any]:
        if not isinstance(raw, dict) or set(raw) != {first, second}:
            raise values.BadValue(
                f'Give {what} as {{"{first}": …, "{second}": …}}, or null.'
            )
        return raw[first], raw[second]

    def _find(self, name: tuple, missing: str) -> Row:
        found = self.named.get(name)
        if found is None:
            raise values.BadValue(missing)
        return found

    # --- Database rules --------------------------------------------------------------

    def _constraints(self, row: Row) -> None:
        for message in values.broken_checks(row.obj):
            row.ok = False
            self.error(row.path, message)

    def _unique(self, model: type[models.Model], rows: list[Row]) -> None:
        """Rows of the document that would break a unique constraint together.
        (Clashes with rows already in the database are the import's to find.)"""
        objs = [row.obj for row in rows]
        for index, names, message in values.repeated(model, objs):
            row = rows[index]
            shown = [name for name in names if name != row.node.parent]
            self.error(f"{row.path}.{shown[-1]}" if shown else row.path, message)


_EXPECTED = {
    spec.USER: "A username",
    spec.TEAM: "A team slug",
    spec.PRODUCT: "A product slug",
    spec.INTEGRATION: "An integration key",
    spec.INCIDENT: "An incident key",
    spec.PRODUCT_SLA: "An SLA name",
    spec.METRIC: "A metric name",
    spec.SEGMENT: "A segment name",
}
_MISSING = {
    spec.USER: "Unknown user {raw!r}: list it in users.",
    spec.TEAM: "Unknown team {raw!r}: list it in teams.",
    spec.PRODUCT: "Unknown product {raw!r}: list it in products.",
    spec.INTEGRATION: "No integration has the key {raw!r}.",
    spec.INCIDENT: "No incident has the key {raw!r}.",
}
_NOUN = {
    spec.PRODUCT_SLA: "SLA",
    spec.METRIC: "success metric",
    spec.SEGMENT: "segment",
}
