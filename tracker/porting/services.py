"""Importing an export document (docs/porting.md): checked whole, then written in
one transaction, all or nothing.

What exists already: people are matched by username and left as they are;
people the document names who don't exist are created inactive, without a
usable password. A product or team whose slug exists here refuses the import,
unless `skip_existing` is set: then the existing one is kept untouched, the
document's copy (with everything in it) is skipped, and the rest is imported,
new products joining an existing team. Under `skip_existing`, alert
integrations are matched by name and kind too.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connections, models, router, transaction

from tracker.accounts.models import Team, User
from tracker.audit.context import acting
from tracker.audit.models import Via
from tracker.audit.recorder import record_created
from tracker.incidents.models import AlertIntegration
from tracker.porting import spec
from tracker.porting.reader import Document, DocumentError, Row, document_read
from tracker.postmortems.models import Postmortem
from tracker.postmortems.services.common import postmortem_search_refresh
from tracker.postmortems.services.followup import followup_refresh
from tracker.products.models import Product


@dataclass
class ImportSummary:
    """What an import wrote (or, for a dry run, would have written)."""

    created: dict[type[models.Model], int]
    users_created: list[str]
    users_matched: list[str]
    kept: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def lines(self) -> list[str]:
        made = ", ".join(
            f"{count:,} {_noun(model, count)}"
            for model, count in self.created.items()
            if count
        )
        lines = ["Dry run: nothing was written."] if self.dry_run else []
        lines.append(f"Created {made or 'nothing'}.")
        if self.users_created:
            lines.append(
                "New people, inactive and without a password until an admin "
                f"activates them and sets one: {', '.join(self.users_created)}."
            )
        if self.users_matched:
            lines.append(
                f"Already here, left as they are: {len(self.users_matched)} people."
            )
        for what, names in self.kept.items():
            if names:
                lines.append(f"Kept the existing {what}: {', '.join(names)}.")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": {
                model._meta.label_lower: count for model, count in self.created.items()
            },
            "users_created": self.users_created,
            "users_matched": self.users_matched,
            "kept": self.kept,
        }


def _noun(model: type[models.Model], count: int) -> str:
    return str(
        model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
    )


def data_import(
    *,
    document: Any,
    skip_existing: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    label: str = "JSON import",
) -> ImportSummary:
    """Import a parsed export document; DocumentError (nothing written) when it
    is invalid or clashes with this instance's data. The audit trail records
    what it creates as an import by `actor` (None: a command, named by `label`)."""
    parsed = document_read(document)
    try:
        with transaction.atomic(), acting(actor=actor, via=Via.IMPORT, label=label):
            importer = _Importer(parsed, skip_existing=skip_existing)
            summary = importer.write()
            summary.dry_run = dry_run
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as error:
        # The checks above mirror the database's rules; a rule they don't know
        # (or a concurrent change) still rolls everything back.
        message = f"The database refused the data, so nothing was imported: {error}"
        raise DocumentError([("", message.strip())]) from error
    return summary


class _Importer:
    def __init__(self, document: Document, *, skip_existing: bool) -> None:
        self.document = document
        self.skip_existing = skip_existing
        self.row_of = {
            id(row.obj): row for rows in document.rows.values() for row in rows
        }
        # Rows of the document that stand for rows already here (by identity).
        self.existing: dict[int, models.Model] = {}
        self.kept: dict[str, list[str]] = {
            "products": [],
            "teams": [],
            "integrations": [],
        }
        self.errors: list[tuple[str, str]] = []
        self.clashing: set[int] = set()
        self.users_matched: list[str] = []

    def write(self) -> ImportSummary:
        self._match()
        if self.errors:
            raise DocumentError(self.errors, conflict=True)
        created: dict[type[models.Model], int] = Counter()
        for model in spec.insert_order():
            rows = [
                row for row in self.document.rows.get(model, []) if self._writes(row)
            ]
            for row in rows:
                self._point(row.obj)
            if model is User:
                for row in rows:
                    row.obj.is_active = False
                    row.obj.set_unusable_password()
            insert_as_given(model, [row.obj for row in rows])
            created[model] += len(rows)
        self._write_many()
        postmortems = [
            row.obj
            for row in self.document.rows.get(Postmortem, [])
            if self._writes(row)
        ]
        for postmortem in postmortems:
            postmortem_search_refresh(postmortem)
        # Written without signals: their follow-up deadlines from their incidents.
        followup_refresh(Postmortem.objects.filter(pk__in=[p.pk for p in postmortems]))
        return ImportSummary(
            created=dict(created),
            users_created=[
                row.obj.username
                for row in self.document.top["users"]
                if self._writes(row)
            ],
            users_matched=self.users_matched,
            kept={what: names for what, names in self.kept.items() if names},
        )

    # --- What exists already ------------------------------------------------------

    def _match(self) -> None:
        users = self.document.top["users"]
        here = User.objects.in_bulk(
            [r.obj.username for r in users], field_name="username"
        )
        for row in users:
            if row.obj.username in here:
                self.existing[id(row.obj)] = here[row.obj.username]
                self.users_matched.append(row.obj.username)
        self._match_slugs(Team, "teams", "A team")
        self._match_team_names()
        self._match_slugs(Product, "products", "A product")
        if self.skip_existing:
            self._match_integrations()

    def _match_slugs(self, model: type[models.Model], key: str, noun: str) -> None:
        rows = self.document.top[key]
        here = model.objects.in_bulk([r.obj.slug for r in rows], field_name="slug")
        for row in rows:
            found = here.get(row.obj.slug)
            if found is None:
                continue
            if self.skip_existing:
                self.existing[id(row.obj)] = found
                self.kept[key].append(row.obj.slug)
            else:
                self.clashing.add(id(row.obj))
                message = f"{noun} with the slug {row.obj.slug!r} exists here already."
                self.errors.append((f"{row.path}.slug", message))

    def _match_team_names(self) -> None:
        new = [
            row
            for row in self.document.top["teams"]
            if self._writes(row) and id(row.obj) not in self.clashing
        ]
        taken = dict(
            Team.objects.filter(name__in=[r.obj.name for r in new]).values_list(
                "name", "slug"
            )
        )
        for row in new:
            if row.obj.name in taken:
                self.errors.append(
                    (
                        f"{row.path}.name",
                        f"The team {taken[row.obj.name]!r} here already has this "
                        "name; team names are unique. Rename one of them.",
                    )
                )

    def _match_integrations(self) -> None:
        rows = self.document.top["integrations"]
        here: dict[tuple[str, str], AlertIntegration] = {}
        names = {row.obj.name for row in rows}
        for found in AlertIntegration.objects.filter(name__in=names).order_by("pk"):
            here.setdefault((found.name, found.kind), found)
        for row in rows:
            found = here.get((row.obj.name, row.obj.kind))
            if found is not None:
                self.existing[id(row.obj)] = found
                self.kept["integrations"].append(row.obj.name)

    # --- Writing ------------------------------------------------------------------

    def _writes(self, row: Row) -> bool:
        """Written unless it, or the row it belongs to, exists here already."""
        return id(row.top.obj) not in self.existing

    def _point(self, obj: models.Model) -> None:
        """Set the foreign keys of `obj` from the rows it points at, now saved:
        to the existing row a document row stands for, or to nothing when the
        target was skipped with an existing product."""
        for f in obj._meta.concrete_fields:
            if not f.is_relation:
                continue
            target = f.get_cached_value(obj, default=None)
            if target is not None:
                setattr(obj, f.name, self._target(target))

    def _target(self, target: models.Model) -> models.Model | None:
        if id(target) in self.existing:
            return self.existing[id(target)]
        row = self.row_of.get(id(target))
        if row is not None and not self._writes(row):
            return None  # it lives in a product that was kept as it was
        return target

    def _write_many(self) -> None:
        links: dict[type[models.Model], list[models.Model]] = {}
        for rows in self.document.rows.values():
            for row in rows:
                if not row.many or not self._writes(row):
                    continue
                for name, targets in row.many.items():
                    relation = row.obj._meta.get_field(name)
                    through = relation.remote_field.through
                    source = relation.m2m_field_name()
                    other = relation.m2m_reverse_field_name()
                    for target in targets:
                        target = self._target(target)
                        if target is not None:
                            link = through(**{source: row.obj, other: target})
                            links.setdefault(through, []).append(link)
        for through, objs in links.items():
            through.objects.bulk_create(objs)


def insert_as_given(model: type[models.Model], objs: list[models.Model]) -> None:
    """Insert `objs` in batches, keeping the values they hold: also the
    auto_now / auto_now_add timestamps, which bulk_create would overwrite with
    the current time. It is what loaddata does row by row (save_base with
    raw=True), batched; the primary keys come back as with bulk_create."""
    if not objs:
        return
    opts = model._meta
    generated_pk = opts.pk.auto_created or isinstance(opts.pk, models.AutoField)
    fields = [
        f
        for f in opts.concrete_fields
        if not f.generated and not (generated_pk and f.primary_key)
    ]
    alias = router.db_for_write(model)
    connection = connections[alias]
    returning = opts.db_returning_fields if generated_pk else None
    size = max(connection.ops.bulk_batch_size(fields, objs), 1)
    manager = model._base_manager.using(alias)
    for start in range(0, len(objs), size):
        batch = objs[start : start + size]
        rows = manager._insert(
            batch, fields=fields, returning_fields=returning, raw=True, using=alias
        )
        for obj, values in zip(batch, rows or [], strict=False):
            for f, value in zip(returning, values, strict=True):
                setattr(obj, f.attname, value)
        for obj in batch:
            obj._state.adding = False
            obj._state.db = alias
    # No signals fire for these inserts: the audit trail is told here.
    record_created(objs)
