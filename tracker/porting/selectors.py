"""Writing export documents (docs/porting.md), streamed.

The text comes in pieces, and rows are read a page of top-level rows (users,
teams, products…) at a time, with one query per kind of row below them: an
instance with thousands of products never sits in memory as one string or one
list, and the number of queries grows with the number of pages, not of rows.
The whole export reads one snapshot of the data (on PostgreSQL a repeatable-
read transaction), so its references always agree.
"""

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from tracker.accounts.models import Team, User
from tracker.incidents.models import AlertIntegration, Incident, TimelineEntry
from tracker.porting import spec, values
from tracker.products.models import Product, Segment, ServiceLevel, SuccessMetric
from tracker.products.models_experiments import ExperimentArm

PAGE = 100  # top-level rows read at a time
PIECE = 64 * 1024  # characters handed out at a time
BATCH = 5000  # ids per lookup query


def export_instance(*, page: int = PAGE) -> Iterator[str]:
    """Everything: every person, team, integration and product, and the
    untriaged incidents."""
    with _snapshot():
        exporter = _Exporter(product=None, personal=True)
        sections = {
            node: exporter.pages(
                node, node.model._base_manager.filter(**node.where), page
            )
            for node in spec.DOCUMENT
        }
        yield from _text("instance", sections)


def export_product(*, product: Product, personal: bool) -> Iterator[str]:
    """One product with everything in it, its team, the integrations its
    incidents came through, and the people all of it refers to. Without
    `personal` (an export by someone who isn't staff) e-mail addresses and
    notification preferences are left out. References to rows of other
    products (an incident moved to another product) are written as null."""
    with _snapshot():
        exporter = _Exporter(product=product, personal=personal)
        products = list(
            exporter.pages(spec.PRODUCTS, Product.objects.filter(pk=product.pk))
        )
        integrations = list(exporter.pages(spec.INTEGRATIONS, exporter.integrations))
        teams = list(
            exporter.pages(spec.TEAMS, Team.objects.filter(pk=product.team_id))
        )
        users = list(
            exporter.pages(spec.USERS, User.objects.filter(pk__in=exporter.seen_users))
        )
    yield from _text(
        "product",
        {
            spec.USERS: users,
            spec.TEAMS: teams,
            spec.INTEGRATIONS: integrations,
            spec.PRODUCTS: products,
            spec.UNTRIAGED: [],
        },
    )


@contextmanager
def _snapshot() -> Iterator[None]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"
                )
        yield


def _text(scope: str, sections: Mapping[spec.Node, Iterable[dict]]) -> Iterator[str]:
    """The document as text: a header, then one line per top-level row."""
    head = {
        "format": spec.FORMAT,
        "version": spec.VERSION,
        "exported_at": timezone.now().isoformat(),
        "scope": scope,
    }

    def pieces() -> Iterator[str]:
        yield json.dumps(head)[:-1]
        for node in spec.DOCUMENT:
            yield f',\n"{node.key}": ['
            separator = "\n"
            for item in sections[node]:
                yield separator
                yield json.dumps(item, ensure_ascii=False, separators=(",", ":"))
                separator = ",\n"
            yield "\n]"
        yield "}\n"

    buffer: list[str] = []
    size = 0
    for piece in pieces():
        buffer.append(piece)
        size += len(piece)
        if size >= PIECE:
            yield "".join(buffer)
            buffer, size = [], 0
    yield "".join(buffer)


class _Exporter:
    """Rows as document objects: references by natural or document keys."""

    def __init__(self, *, product: Product | None, personal: bool) -> None:
        self.product = product
        self.personal = personal
        self.usernames = dict(User.objects.values_list("pk", "username"))
        self.seen_users: set[int] = set()
        if product is None:
            teams = Team.objects.all()
            products = Product.objects.all()
            incidents = Incident.objects.order_by(
                F("product__slug").asc(nulls_last=True), "pk"
            )
            self.integrations = AlertIntegration.objects.all()
        else:
            teams = Team.objects.filter(pk=product.team_id)
            products = Product.objects.filter(pk=product.pk)
            incidents = Incident.objects.filter(product=product).order_by("pk")
            self.integrations = AlertIntegration.objects.filter(
                Q(product=product) | Q(incidents__product=product)
            ).distinct()
        self.slugs = {
            spec.TEAM: dict(teams.values_list("pk", "slug")),
            spec.PRODUCT: dict(products.values_list("pk", "slug")),
        }
        self.keys = {
            spec.INCIDENT: _numbered("incident", incidents),
            spec.INTEGRATION: _numbered(
                "integration", self.integrations.order_by("pk")
            ),
        }
        # For the page being written: rows below the top-level rows, by
        # (node, parent id); many-to-many targets by (node, field, id); and
        # what references needing a query resolve to, by (kind, id).
        self.below: dict[tuple[spec.Node, int], list[models.Model]] = {}
        self.linked: dict[tuple[spec.Node, str, int], list[int]] = {}
        self.lookups: dict[str, dict[int, Any]] = {}

    def pages(
        self, node: spec.Node, queryset: models.QuerySet, size: int = PAGE
    ) -> Iterator[dict]:
        queryset = queryset.order_by(node.order)
        last = None
        while True:
            page = (
                queryset
                if last is None
                else queryset.filter(**{f"{node.order}__gt": last})
            )
            rows = list(page[:size])
            if not rows:
                return
            self._load_below(node, [row.pk for row in rows])
            for row in rows:
                yield self.dump(node, row)
            if len(rows) < size:
                return
            last = getattr(rows[-1], node.order)

    # --- Reading a page -------------------------------------------------------------

    def _load_below(self, top: spec.Node, ids: list[int]) -> None:
        self.below, self.linked, self.lookups = {}, {}, {}
        self._load_many(top, "pk", ids)
        for node, path in _below(top):
            rows = list(
                node.model._base_manager.filter(
                    **{f"{path}__in": ids}, **node.where
                ).order_by("pk")
            )
            parent = node.model._meta.get_field(node.parent).attname
            for row in rows:
                self.below.setdefault((node, getattr(row, parent)), []).append(row)
            self._load_many(node, path, ids)
            self._load_lookups(node, rows)

    def _load_many(self, node: spec.Node, path: str, ids: list[int]) -> None:
        for name in node.many:
            relation = node.model._meta.get_field(name)
            through = relation.remote_field.through
            source = through._meta.get_field(relation.m2m_field_name())
            target = through._meta.get_field(relation.m2m_reverse_field_name())
            pairs = (
                through.objects.filter(**{f"{source.name}__{path}__in": ids})
                .order_by("pk")
                .values_list(source.attname, target.attname)
            )
            for pk, target_pk in pairs:
                self.linked.setdefault((node, name, pk), []).append(target_pk)

    def _load_lookups(self, node: spec.Node, rows: list[models.Model]) -> None:
        for name, kind in node.refs.items():
            if kind not in _LOOKUPS:
                continue
            attname = node.model._meta.get_field(name).attname
            ids = sorted({getattr(row, attname) for row in rows} - {None})
            found = self.lookups.setdefault(kind, {})
            for start in range(0, len(ids), BATCH):
                found.update(_LOOKUPS[kind](self, ids[start : start + BATCH]))

    # --- Writing rows ---------------------------------------------------------------

    def dump(self, node: spec.Node, row: models.Model) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.keyed:
            out[spec.KEY] = self.keys[node.keyed][row.pk]
        for f in node.fields:
            value = getattr(row, f.attname)
            kind = node.refs.get(f.name)
            out[f.name] = (
                values.dump(f, value) if kind is None else self.ref(kind, value)
            )
        for name, kind in node.many.items():
            targets = (
                self.ref(kind, pk) for pk in self.linked.get((node, name, row.pk), ())
            )
            out[name] = sorted(target for target in targets if target is not None)
        for child in node.children:
            rows = self.below.get((child, row.pk), [])
            if child.single:
                out[child.key] = self.dump(child, rows[0]) if rows else None
            else:
                out[child.key] = [self.dump(child, item) for item in rows]
        if node is spec.USERS and not self.personal:
            out.update(dict.fromkeys(spec.PERSONAL, ""), preferences=None)
        return out

    def ref(self, kind: str, pk: int | None) -> Any:
        if pk is None:
            return None
        if kind == spec.USER:
            self.seen_users.add(pk)
            return self.usernames[pk]
        if kind in self.slugs:
            return self.slugs[kind].get(pk)
        if kind in self.keys:
            return self.keys[kind].get(pk)
        return self.lookups.get(kind, {}).get(pk)


# References that name a row by something only a query finds, per kind: what
# each id is written as.


def _slas(exporter: _Exporter, ids: list[int]) -> dict[int, Any]:
    rows = ServiceLevel.objects.filter(pk__in=ids).values_list(
        "pk", "product_id", "name"
    )
    products = exporter.slugs[spec.PRODUCT]
    return {
        pk: {"product": products[product], "name": name}
        for pk, product, name in rows
        if product in products
    }


def _names(model: type[models.Model]):
    """Rows named within their product (metrics, SLAs, segments): by name."""

    def lookup(exporter: _Exporter, ids: list[int]) -> dict[int, str]:
        rows = model.objects.filter(pk__in=ids)
        if exporter.product is not None:
            rows = rows.filter(product=exporter.product)
        return dict(rows.values_list("pk", "name"))

    return lookup


def _arms(exporter: _Exporter, ids: list[int]) -> dict[int, Any]:
    """Experiment arms, as (experiment name, arm name) within the product."""
    rows = ExperimentArm.objects.filter(pk__in=ids)
    if exporter.product is not None:
        rows = rows.filter(experiment__product=exporter.product)
    return {
        pk: {"experiment": experiment, "arm": name}
        for pk, experiment, name in rows.values_list("pk", "experiment__name", "name")
    }


def _entries(exporter: _Exporter, ids: list[int]) -> dict[int, Any]:
    """Incident timeline entries, as (incident key, position in its timeline)."""
    incidents = TimelineEntry.objects.filter(pk__in=ids).values("incident_id")
    timelines = (
        TimelineEntry.objects.filter(incident_id__in=incidents)
        .order_by("incident_id", "pk")
        .values_list("pk", "incident_id")
    )
    found, wanted = {}, set(ids)
    keys = exporter.keys[spec.INCIDENT]
    position, current = 0, None
    for pk, incident in timelines:
        position = position + 1 if incident == current else 0
        current = incident
        if pk in wanted and incident in keys:
            found[pk] = {"incident": keys[incident], "position": position}
    return found


_LOOKUPS = {
    spec.SLA: _slas,
    spec.PRODUCT_SLA: _names(ServiceLevel),
    spec.METRIC: _names(SuccessMetric),
    spec.SEGMENT: _names(Segment),
    spec.ARM: _arms,
    spec.ENTRY: _entries,
}


def _below(top: spec.Node, path: str = "pk") -> Iterator[tuple[spec.Node, str]]:
    """The nodes under `top`, each with its lookup path up to `top`'s rows."""
    for child in top.children:
        child_path = child.parent if path == "pk" else f"{child.parent}__{path}"
        yield child, child_path
        yield from _below(child, child_path)


def _numbered(prefix: str, queryset: models.QuerySet) -> dict[int, str]:
    pks = queryset.values_list("pk", flat=True)
    return {pk: f"{prefix}-{number}" for number, pk in enumerate(pks, 1)}


def user_may_port(user: User) -> bool:
    """Whole-instance export and import are for staff (they carry everyone's
    data; an import can add people)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def product_by_slug(slug: str) -> Product | None:
    """For the command line, which acts for the operator and reads anything."""
    return Product.objects.filter(slug=slug).first()
