"""CI status under concurrent posts (PostgreSQL: SQLite serialises writers)."""

import threading

import pytest
from django.db import connection

from tests.api.conftest import bearer
from tracker.ci import services
from tracker.ci.models import CIStatus, CIStatusEvent

URL = "/api/v1/products/fraud-score/ci-status/"
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def _in_threads(count: int, work) -> list:
    results: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        try:
            results[index] = work(index)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_posts_make_one_row(ci_raw, product, monkeypatch):
    """Both requests look for the row, find none, then both INSERT: one wins, the
    other hits the unique constraint, retries and becomes an update."""
    both_looked = threading.Barrier(2, timeout=10)
    local = threading.local()
    full_clean = CIStatus.full_clean

    def clean_after_both_looked(self, *args, **kwargs):
        if not getattr(local, "waited", False):
            local.waited = True
            both_looked.wait()
        return full_clean(self, *args, **kwargs)

    monkeypatch.setattr(CIStatus, "full_clean", clean_after_both_looked)
    states = ["pending", "running"]

    def post(index: int) -> int:
        body = {"sha": SHA, "context": "train", "state": states[index]}
        return bearer(ci_raw).post(URL, body, format="json").status_code

    codes = _in_threads(2, post)
    assert sorted(codes) == [200, 201]
    status = CIStatus.objects.get()
    assert status.state in states
    events = CIStatusEvent.objects.filter(status=status).order_by("recorded_at", "id")
    assert sorted(e.state for e in events) == sorted(states)
    assert events.last().state == status.state  # history ends where the row is


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_updates_keep_every_report(product):
    posts_per_thread = 5

    def post(index: int) -> None:
        for n in range(posts_per_thread):
            services.ci_status_report(
                product=product,
                sha=SHA,
                context="evaluate",
                data={"state": "running", "run_id": f"{index}-{n}"},
                actor=None,
                token=None,
            )

    _in_threads(4, post)
    assert CIStatus.objects.count() == 1
    assert CIStatusEvent.objects.count() == 4 * posts_per_thread
