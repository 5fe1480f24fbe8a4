"""Importing: the documented example imports; bad documents are refused with
the place of every problem and write nothing; what exists already is kept or
stops the import; people are created inactive."""

import copy
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ProductFactory, TeamFactory, UserFactory, staff_reader
from tests.porting.conftest import exported
from tracker.accounts.models import Team, User
from tracker.incidents.models import AlertIntegration, Incident
from tracker.porting import spec
from tracker.porting.reader import MAX_ERRORS, DocumentError, document_parse
from tracker.porting.services import data_import
from tracker.postmortems.models import Postmortem, TimelineEvent
from tracker.postmortems.selectors.lists import library_list, library_search
from tracker.products.models import Product, SuccessMetric

DOCS = Path(__file__).resolve().parents[2] / "docs" / "porting.md"


def example() -> dict:
    """The example document of docs/porting.md."""
    block = re.search(r"```json\n(.*?)```", DOCS.read_text(), re.S)
    return json.loads(block.group(1))


def rows_in_database() -> int:
    return sum(model._base_manager.count() for model in spec.exported_models())


def refused(document, **options) -> dict[str, list[str]]:
    """The problems an import reports, after checking it wrote nothing."""
    before = rows_in_database()
    with pytest.raises(DocumentError) as caught:
        data_import(document=document, **options)
    assert rows_in_database() == before
    return caught.value.fields


def changed(path: str, value, document: dict | None = None) -> dict:
    """The example with the member at `path` (e.g. products.0.metrics.0.baseline)
    set to `value`, or removed when value is REMOVE."""
    document = copy.deepcopy(document or example())
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = document
    for part in parents:
        target = target[part]
    if value is REMOVE:
        del target[last]
    else:
        target[last] = value
    return document


REMOVE = object()


def test_the_documented_example_imports(db):
    summary = data_import(document=example())
    product = Product.objects.get(slug="fraud-score")
    assert product.team.slug == "risk" and product.pm_owner.username == "alice"
    moment = TimelineEvent.objects.get()
    incident = Incident.objects.get()
    assert moment.incident == incident
    assert moment.source_entry == incident.timeline.get()
    assert list(Postmortem.objects.get().incidents.all()) == [incident]
    assert incident.integration.name == "Prometheus"
    assert not incident.integration.secret_hash  # accepts no alerts until re-keyed
    assert summary.users_created == ["alice"]
    assert summary.created[SuccessMetric] == 1


def test_columns_left_out_take_their_defaults(db):
    data_import(document=example())
    metric = SuccessMetric.objects.get()
    assert metric.kind == "business_kpi" and metric.cadence_days == 30
    assert metric.created_at is not None and metric.description == ""


@pytest.mark.parametrize(
    ("path", "value", "place", "message"),
    [
        ("version", 2, "version", "Version 2 is not supported"),
        ("version", True, "version", "Version true is not supported"),
        ("format", "other", "format", "Not a tracker export"),
        ("scope", "all", "scope", 'Give "instance" or "product".'),
        ("exported_at", "yesterday", "exported_at", "A date and time"),
        ("exported_at", REMOVE, "exported_at", "This field is required."),
    ],
)
def test_a_bad_header_is_refused_before_anything_else(db, path, value, place, message):
    document = changed(path, value)
    document["products"][0]["metrics"][0]["baseline"] = "junk"  # not reported
    problems = refused(document)
    assert list(problems) == [place]
    assert message in problems[place][0]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("products.0.metrics.0.baseline", "410", "A number is required."),
        ("products.0.metrics.0.baseline", True, "A number is required."),
        ("products.0.metrics.0.cadence_days", 1.5, "A whole number is required."),
        ("products.0.metrics.0.cadence_days", 0, "greater than or equal to 1"),
        ("products.0.metrics.0.baseline_at", "15/01/2026", "A date (YYYY-MM-DD)"),
        ("products.0.metrics.0.kind", "vanity", "is not a valid choice"),
        ("products.0.stage_entered_at", "2026-01-10T09:00:00", "Give the time zone"),
        ("products.0.stage_entered_at", None, "This field cannot be null."),
        ("products.0.slug", REMOVE, "This field is required."),
        ("products.0.slug", "no spaces please", "Enter a valid “slug”"),
        ("products.0.name", "x" * 201, "at most 200 characters"),
        ("products.0.name", "a\x00b", "NUL"),
        ("products.0.worst_case_matters", "yes", "true or false is required."),
        ("products.0.pm_owner", "zed", "Unknown user 'zed': list it in users."),
        ("products.0.pm_owner", 7, "A username is required."),
        ("products.0.team", "elsewhere", "Unknown team 'elsewhere'"),
        ("products.0.team", None, "This field is required."),
        ("products.0.incidents.0.integration", "integration-9", "No integration"),
        ("products.0.postmortems.0.incidents", ["incident-2"], "No incident"),
        (
            "products.0.postmortems.0.metric_impacts.0.metric",
            "AUC",
            "no success metric",
        ),
        (
            "products.0.postmortems.0.timeline.0.source_entry",
            {"incident": "incident-1", "position": 5},
            "has no timeline entry at position 5",
        ),
        (
            "products.0.incidents.0.sla",
            {"product": "fraud-score", "name": "Uptime"},
            "has no SLA named 'Uptime'",
        ),
        ("products.0.incidents.0.sla", "Latency", 'Give an SLA as {"product"'),
        ("products.0.incidents.0.labels", {"a\x00": 1}, "NUL"),
        ("products.0.metrics.0.measurements", {}, "A list is required."),
        ("products.0.metrics.0.measurements.0", [], "An object is required."),
        ("products.0.metrics.0.colour", "red", "Unknown field."),
        ("products.0.incidents.0.status", "resolved", "incident_resolved_has_time"),
        ("products.0.incidents.0.key", 1, "A key (a string) is required"),
    ],
)
def test_bad_rows_are_refused_with_their_place(db, path, value, message):
    problems = refused(changed(path, value))
    place = re.sub(r"\.(\d+)", r"[\1]", path)
    # A constraint is about the row; a missing or unknown member about itself.
    found = {
        where: texts
        for where, texts in problems.items()
        if place.startswith(where) or where.startswith(place)
    }
    assert any(message in text for texts in found.values() for text in texts), problems


def test_history_the_forms_would_refuse_today_still_imports(db):
    """Rules for entering data (a critical product is judged on its worst case,
    a target differs from its baseline) don't stop an import of what an
    instance holds."""
    document = changed("products.0.risk_tier", "critical")
    document = changed("products.0.metrics.0.target", 410, document)
    data_import(document=document)
    assert Product.objects.get().risk_tier == "critical"
    assert SuccessMetric.objects.get().target == 410


def test_rows_listed_twice_are_refused(db):
    document = example()
    metrics = document["products"][0]["metrics"]
    metrics.append(copy.deepcopy(metrics[0]))
    document["products"][0]["postmortems"][0]["authors"] = ["alice", "alice"]
    problems = refused(document)
    assert "Listed twice" in problems["products[0].metrics[1].name"][0]
    assert problems["products[0].postmortems[0].authors[1]"] == ["Listed twice."]


def test_a_product_export_holds_one_product(db):
    document = changed("products", [])
    assert refused(document)["products"] == [
        "A product export holds exactly one product."
    ]


def test_every_problem_is_reported_up_to_a_limit(db):
    document = example()
    measurement = document["products"][0]["metrics"][0]["measurements"][0]
    document["products"][0]["metrics"][0]["measurements"] = [
        {**measurement, "value": "x"} for _ in range(MAX_ERRORS * 2)
    ]
    problems = refused(document)
    assert len(problems) == MAX_ERRORS + 1
    assert problems["document"] == [f"Stopped after {MAX_ERRORS} problems."]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "Not valid JSON: Expecting property name"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "Not valid JSON"),
    ],
)
def test_text_that_is_not_json_is_refused(raw, message):
    with pytest.raises(DocumentError) as caught:
        document_parse(raw)
    assert message in caught.value.lines[0]


@pytest.mark.parametrize("document", [[], "text", None, 3])
def test_a_document_that_is_not_an_object_is_refused(db, document):
    assert refused(document) == {"document": ["The document must be a JSON object."]}


# --- What exists already ---------------------------------------------------------


def test_existing_people_are_matched_and_left_as_they_are(db):
    alice = UserFactory(username="alice", first_name="Alicia", email="a@here.org")
    summary = data_import(document=example())
    alice.refresh_from_db()
    assert alice.first_name == "Alicia" and alice.is_active
    assert alice.has_usable_password()
    assert Product.objects.get().pm_owner == alice
    assert summary.users_created == [] and summary.users_matched == ["alice"]


def test_new_people_are_inactive_without_a_usable_password(db):
    data_import(document=example())
    alice = User.objects.get(username="alice")
    assert not alice.is_active and not alice.has_usable_password()
    assert not alice.is_staff and not alice.is_superuser


def test_an_existing_product_or_team_stops_the_import(db):
    team = TeamFactory(name="Risk", slug="risk")
    ProductFactory(slug="fraud-score", name="Here first", team=team)
    with pytest.raises(DocumentError) as caught:
        data_import(document=example())
    assert caught.value.conflict
    assert caught.value.fields == {
        "teams[0].slug": ["A team with the slug 'risk' exists here already."],
        "products[0].slug": [
            "A product with the slug 'fraud-score' exists here already."
        ],
    }
    assert Product.objects.get().name == "Here first"


def test_skip_existing_keeps_them_and_imports_the_rest(db):
    team = TeamFactory(name="Risk", slug="risk")
    ProductFactory(slug="fraud-score", name="Here first", team=team)
    document = example()
    other = copy.deepcopy(document["products"][0])
    other.update(slug="churn", name="Churn", incidents=[], postmortems=[])
    document["products"].append(other)
    document["scope"] = "instance"
    summary = data_import(document=document, skip_existing=True)
    assert Product.objects.get(slug="fraud-score").name == "Here first"
    assert Product.objects.get(slug="churn").team == team  # joins the kept team
    assert summary.kept == {"products": ["fraud-score"], "teams": ["risk"]}
    assert not Team.objects.get().membership_set.exists()  # the team is untouched
    # The integration belonged to the kept product's incidents: still imported,
    # pointing at the product that was kept.
    assert AlertIntegration.objects.get().product.name == "Here first"
    assert not Incident.objects.exists()


def test_skip_existing_uses_an_integration_of_the_same_name_and_kind(db):
    AlertIntegration.objects.create(name="Prometheus", kind="alertmanager")
    document = changed("products.0.slug", "fraud-2")
    document = changed("integrations.0.product", "fraud-2", document)
    summary = data_import(document=document, skip_existing=True)
    assert AlertIntegration.objects.count() == 1
    assert Incident.objects.get().integration == AlertIntegration.objects.get()
    assert summary.kept == {"integrations": ["Prometheus"]}


def test_a_new_team_whose_name_is_taken_is_refused(db):
    TeamFactory(name="Risk", slug="risk-here")
    problems = refused(example(), skip_existing=True)
    assert (
        "The team 'risk-here' here already has this name"
        in problems["teams[0].name"][0]
    )


def test_a_rule_only_the_database_knows_still_writes_nothing(db):
    """An open incident for the same alert exists on the integration the import
    reuses: the database's unique index refuses, and nothing stays written."""
    integration = AlertIntegration.objects.create(
        name="Prometheus", kind="alertmanager"
    )
    here = ProductFactory(slug="here")
    Incident.objects.create(
        product=here,
        title="Open here",
        integration=integration,
        fingerprint="abc",
        started_at="2026-04-02T08:00:00+00:00",
        detected_at="2026-04-02T08:00:00+00:00",
    )
    document = changed("products.0.incidents.0.fingerprint", "abc")
    problems = refused(document, skip_existing=True)
    assert "The database refused the data" in problems["document"][0]


def test_a_dry_run_checks_and_counts_but_writes_nothing(db):
    before = rows_in_database()
    summary = data_import(document=example(), dry_run=True)
    assert summary.dry_run and summary.created[Product] == 1
    assert rows_in_database() == before
    assert "Dry run: nothing was written." in summary.lines


def test_import_queries_grow_only_by_insert_batches(db):
    def queries(measurements: int) -> int:
        document = example()
        metric = document["products"][0]["metrics"][0]
        metric["measurements"] = [
            {"value": n, "measured_at": f"2026-04-01T09:{n % 60:02d}:00+00:00"}
            for n in range(measurements)
        ]
        with CaptureQueriesContext(connection) as captured:
            data_import(document=document, dry_run=True)
        return len(captured)

    # Rows go in batches (on SQLite a batch holds about 140 measurements), and
    # so do their audit-trail events.
    assert queries(300) - queries(1) <= 2 * (300 // 100)


def test_a_product_export_imports_beside_other_products(db, product, alice):
    other = ProductFactory(slug="elsewhere-product", team=TeamFactory(slug="else"))
    document = exported(product)
    Product.objects.filter(pk=product.pk).delete()
    Team.objects.filter(pk=product.team_id).delete()
    data_import(document=document)
    imported = Product.objects.get(slug=product.slug)
    assert imported.pm_owner == alice  # the person here, matched by username
    assert Product.objects.filter(pk=other.pk).exists()
    assert exported(imported) == document


# --- The command -----------------------------------------------------------------


def _file(tmp_path, document) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_import_data_prints_what_it_created(db, tmp_path, capsys):
    call_command("import_data", _file(tmp_path, example()))
    out = capsys.readouterr().out
    assert "Created 1 user, 1 team, 1 membership, 1 product" in out
    assert "New people, inactive and without a password" in out
    call_command("import_data", _file(tmp_path, example()), "--skip-existing")
    assert "Kept the existing products: fraud-score." in capsys.readouterr().out


def test_import_data_lists_the_problems_and_fails(db, tmp_path, capsys):
    document = changed("products.0.metrics.0.baseline", "x")
    with pytest.raises(CommandError, match=r"^Nothing was imported\.$"):
        call_command("import_data", _file(tmp_path, document))
    err = capsys.readouterr().err
    assert "products[0].metrics[0].baseline: A number is required." in err
    assert not Product.objects.exists()


def test_import_data_says_how_to_keep_what_exists(db, tmp_path):
    call_command("import_data", _file(tmp_path, example()))
    with pytest.raises(CommandError, match="Use --skip-existing"):
        call_command("import_data", _file(tmp_path, example()))


def test_import_data_names_a_file_it_cannot_read(db, tmp_path):
    with pytest.raises(CommandError, match="Could not read"):
        call_command("import_data", str(tmp_path / "missing.json"))


@pytest.mark.postgres
def test_imported_postmortems_are_found_by_the_library_search(db):
    document = changed("products.0.postmortems.0.status", "published")
    document = changed(
        "products.0.postmortems.0.published_at", "2026-04-10T09:00:00+00:00", document
    )
    document = changed(
        "products.0.postmortems.0.lessons", "Retraining needs a drift gate.", document
    )
    data_import(document=document)
    found = library_search(library_list(user=staff_reader()), "retrained")
    assert [p.title for p in found] == ["Drift after retraining"]


def test_the_audit_trail_records_what_an_import_creates_as_an_import(db, alice):
    from tracker.audit.models import Action, AuditEvent, Via

    data_import(document=example(), actor=alice)

    product = example()["products"][0]
    events = AuditEvent.objects.filter(product_slug=product["slug"])
    created = events.filter(action=Action.CREATE)
    assert created.filter(object_type="products.product").count() == 1
    metrics = created.filter(object_type="products.successmetric")
    assert metrics.count() == len(product["metrics"])
    assert set(events.values_list("via", "actor_id")) == {(Via.IMPORT, alice.pk)}


def test_a_dry_run_import_leaves_no_audit_events(db):
    from tracker.audit.models import AuditEvent

    data_import(document=example(), dry_run=True)

    assert not AuditEvent.objects.exists()
