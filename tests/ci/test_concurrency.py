"""CI status under concurrent posts (PostgreSQL: SQLite serialises writers)."""

import threading

import pytest
from django.db import connection

from tests.conftest import bearer
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


@pytest.fixture
def in_step(monkeypatch):
    """Two threads' reports wait for each other after validation, so both write
    at once: the race a unique constraint and its handling must survive."""
    both_validating = threading.Barrier(2, timeout=10)
    local = threading.local()
    full_clean = CIStatus.full_clean

    def clean_in_step(self, *args, **kwargs):
        if not getattr(local, "waited", False):  # a retry does not wait again
            local.waited = True
            both_validating.wait()
        return full_clean(self, *args, **kwargs)

    monkeypatch.setattr(CIStatus, "full_clean", clean_in_step)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_posts_make_one_row(ci_raw, product, in_step):
    """Both requests pass validation together, then both write: one inserts, the
    other waits on the unique index and becomes an update of the first one's row."""
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


def _report(product, state: str, run_id: str = ""):
    return services.ci_status_report(
        product=product,
        sha=SHA,
        context="evaluate",
        data={"state": state, "run_id": run_id},
        actor=None,
        token=None,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_loser_of_the_insert_race_updates_the_winners_row(product, in_step):
    """Forced into the race: both find no row, both INSERT; the loser's INSERT
    fails on the unique constraint and it locks and updates the winner's row."""
    results = _in_threads(2, lambda i: _report(product, ["pending", "running"][i]))
    assert sorted(created for _, created in results) == [False, True]
    assert CIStatus.objects.count() == 1
    assert CIStatusEvent.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_concurrent_updates_keep_every_report(product):
    posts_per_thread = 5

    def post(index: int) -> None:
        for n in range(posts_per_thread):
            _report(product, "running", f"{index}-{n}")

    _in_threads(4, post)
    status = CIStatus.objects.get()
    history = list(status.events.order_by("recorded_at", "id"))
    assert len(history) == 4 * posts_per_thread
    assert history[-1].run_id == status.run_id  # history ends where the row is
