"""Large portfolio exports are made in the background: an export job, its page
and its API, the file the same as the immediate export's, only for the person
who asked (and staff), failures shown, old ones swept."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import MetricFactory, ProductFactory, UserFactory
from tracker.reports import jobs, tasks
from tracker.reports.models import ReportExport

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
START = "/api/v1/reports/portfolio/exports/"


@pytest.fixture
def portfolio(team, other_team):
    """Three products of alice's team (one a pilot) and one of carol's, a
    private team."""
    other_team.visibility = "private"
    other_team.save()
    fraud = ProductFactory(name="Fraud score", slug="fraud", team=team)
    MetricFactory(product=fraud, name="Losses", baseline=400, target=300)
    ProductFactory(name="Churn", slug="churn", team=team, stage="pilot")
    ProductFactory(name="Anomaly", slug="anomaly", team=team)
    ProductFactory(name="Elsewhere", slug="elsewhere", team=other_team)


@pytest.fixture
def in_background(settings):
    """Any export of more than one product is made by a worker."""
    settings.REPORT_EXPORT_INLINE_MAX = 1


def _export(client, name: str, query: dict, capture) -> ReportExport:
    """Ask for the export page-side; the task runs (eagerly) on commit."""
    with capture(execute=True):
        response = client.get(reverse(f"reports:{name}"), query)
    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == export.get_absolute_url()
    return export


def test_a_small_export_is_made_at_once(alice_client, portfolio, settings):
    settings.REPORT_EXPORT_INLINE_MAX = 3
    response = alice_client.get(reverse("reports:portfolio_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not ReportExport.objects.exists()


@pytest.mark.parametrize("name", ["portfolio_csv", "portfolio_pdf"])
@time_machine.travel(NOW, tick=False)
def test_the_file_is_the_immediate_exports_byte_for_byte(
    name, alice_client, portfolio, settings, django_capture_on_commit_callbacks
):
    query = {"team": "risk", "period": "12m", "sort": "name", "page": "2"}
    settings.REPORT_EXPORT_INLINE_MAX = 10
    immediate = alice_client.get(reverse(f"reports:{name}"), query)
    settings.REPORT_EXPORT_INLINE_MAX = 1
    export = _export(alice_client, name, query, django_capture_on_commit_callbacks)
    export.refresh_from_db()
    assert (export.status, export.progress) == ("done", 100)
    assert export.product_count == 3  # alice's team only
    assert export.query == "team=risk&period=12m"  # the table's sort and page are not
    download = alice_client.get(export.get_download_url())
    assert download.status_code == 200
    assert download.content == immediate.content
    assert download["Content-Type"] == immediate["Content-Type"]
    assert download["Content-Disposition"] == immediate["Content-Disposition"]
    if name == "portfolio_csv":
        assert download.content.decode().count("\n") == 4  # header and 3 rows


def test_the_export_page_shows_progress_then_the_link(
    alice_client, portfolio, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_EXPORT_INLINE_MAX = 0
    with django_capture_on_commit_callbacks(execute=False):  # no worker yet
        alice_client.get(reverse("reports:portfolio_pdf"), {"stage": "pilot"})
    export = ReportExport.objects.get()
    page = alice_client.get(export.get_absolute_url()).content.decode()
    assert "Waiting for a worker" in page
    assert 'data-state="queued"' in page
    assert "1 product, for all teams, stage Pilot, any risk tier" in page
    assert jobs.export_run(export.pk) is True
    assert jobs.export_run(export.pk) is False  # delivered twice: made once
    page = alice_client.get(export.get_absolute_url()).content.decode()
    assert 'data-state="done"' in page
    assert f'href="{export.get_download_url()}" data-export-download' in page


def test_only_the_requester_and_staff_may_see_or_download_it(
    alice_client, bob, portfolio, in_background, django_capture_on_commit_callbacks
):
    export = _export(
        alice_client, "portfolio_csv", {}, django_capture_on_commit_callbacks
    )
    urls = (export.get_absolute_url(), export.get_download_url())
    assert [alice_client.get(url).status_code for url in urls] == [200, 200]
    # bob is in alice's team, and may not see her export
    other = Client()
    other.force_login(bob)
    assert [other.get(url).status_code for url in urls] == [404, 404]
    other.force_login(UserFactory(username="root", is_staff=True))
    assert [other.get(url).status_code for url in urls] == [200, 200]
    other.logout()
    assert [other.get(url).status_code for url in urls] == [302, 302]  # sign in


def test_the_export_reads_what_its_requester_may_read(
    alice_client, portfolio, in_background, django_capture_on_commit_callbacks
):
    export = _export(
        alice_client, "portfolio_csv", {}, django_capture_on_commit_callbacks
    )
    text = alice_client.get(export.get_download_url()).content.decode()
    assert "Fraud score" in text and "Elsewhere" not in text  # carol's is private
    assert export.product_count == 3


def test_a_failed_export_says_so(alice_client, alice, portfolio):
    # A format this version cannot make (e.g. a row left by a newer one).
    export = ReportExport.objects.create(
        requested_by=alice,
        format="xls",
        filters_text="all teams",
        base_url="http://testserver/",
        created_at=NOW,
    )
    assert jobs.export_run(export.pk) is False
    export.refresh_from_db()
    assert export.status == "failed" and "could not be made" in export.error
    page = alice_client.get(export.get_absolute_url()).content.decode()
    assert 'data-state="failed"' in page and export.error in page
    assert alice_client.get(export.get_download_url()).status_code == 404


def test_the_sweep_requeues_the_lost_fails_the_stuck_deletes_the_old(
    alice, settings, django_capture_on_commit_callbacks, portfolio
):
    settings.REPORT_EXPORT_TIMEOUT_SECONDS = 3600
    settings.REPORT_EXPORT_KEEP_HOURS = 24

    def made(created, **fields):
        return ReportExport.objects.create(
            requested_by=alice,
            format="csv",
            filters_text="all teams",
            base_url="http://testserver/",
            created_at=NOW - created,
            **fields,
        )

    lost = made(timedelta(minutes=5))  # its message never reached a worker
    fresh = made(timedelta(seconds=30))  # its worker may not have started yet
    stuck = made(timedelta(hours=2), status="running")  # its worker died
    old = made(timedelta(days=2), status="done", finished_at=NOW - timedelta(days=2))
    recent = made(timedelta(hours=1), status="done", finished_at=NOW)
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        found = tasks.exports_sweep()
    assert found == {"failed": 1, "requeued": 1, "deleted": 1}
    states = dict(ReportExport.objects.values_list("pk", "status"))
    assert states == {
        lost.pk: "done",  # queued again and made
        fresh.pk: "queued",
        stuck.pk: "failed",
        recent.pk: "done",
    }
    assert old.pk not in states
    assert "did not finish in time" in ReportExport.objects.get(pk=stuck.pk).error


def test_the_sweep_is_on_the_beat_schedule():
    from tracker.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "tracker.reports.tasks.exports_sweep" in tasks


# --- The API ---------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_api_starts_an_export_reports_it_and_serves_the_file(
    alice_api, alice_client, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(START, {"format": "csv", "stage": "pilot"})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"  # as it was when answered
    assert body["products"] == 1 and body["file_url"] is None
    status = alice_api.get(f"/api/v1/reports/exports/{body['id']}/").json()
    assert status["status"] == "done" and status["progress"] == 100
    assert status["html_url"].endswith(f"/reports/exports/{body['id']}/")
    file = alice_api.get(status["file_url"])
    assert file.status_code == 200
    immediate = alice_client.get(reverse("reports:portfolio_csv"), {"stage": "pilot"})
    assert file.content == immediate.content


def test_api_bad_input_is_400_with_field_messages(alice_api, portfolio):
    response = alice_api.post(START, {"format": "xls", "stage": "shipped"})
    assert response.status_code == 400
    assert "format" in response.json()["error"]["fields"]
    response = alice_api.post(START, {"format": "pdf", "team": "nope"})
    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]
    assert not ReportExport.objects.exists()


def test_api_exports_are_the_requesters(
    alice_api, bob_api, anon, ci_api, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pk = alice_api.post(START, {"format": "csv"}).json()["id"]
    for url in (f"/api/v1/reports/exports/{pk}/", f"/api/v1/reports/exports/{pk}/file"):
        assert bob_api.get(url).status_code == 404
        assert anon.get(url).status_code == 401
        assert ci_api.get(url).status_code == 403
    assert ci_api.post(START, {"format": "csv"}).status_code == 403


def test_api_file_of_an_unfinished_export_is_404(
    alice_api, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        pk = alice_api.post(START, {"format": "csv"}).json()["id"]
    assert alice_api.get(f"/api/v1/reports/exports/{pk}/file").status_code == 404
