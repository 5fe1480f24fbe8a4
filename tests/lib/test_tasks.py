"""Queueing from a request never waits long on the broker (tracker/lib/tasks.py):
an unreachable or hung Redis costs one bounded attempt, then none for a while."""

import time
from unittest import mock

import pytest

from tests.broker import broker_at
from tests.faults.app_server import free_port
from tests.faults.proxy import TcpProxy
from tracker.lib import tasks
from tracker.reminders.tasks import reminders_dispatch


@pytest.fixture
def dead_broker(settings):
    with broker_at(settings, f"redis://127.0.0.1:{free_port()}/0") as queue:
        yield queue


def test_unreachable_broker_is_given_up_then_not_tried_for_a_while(dead_broker):
    assert tasks.enqueue(reminders_dispatch) is False
    with mock.patch.object(reminders_dispatch, "apply_async") as publish:
        assert tasks.enqueue(reminders_dispatch) is False
        publish.assert_not_called()
        tasks.broker_pause_end()
        tasks.enqueue(reminders_dispatch)
        publish.assert_called_once()


def test_hung_broker_costs_one_socket_timeout(settings):
    """A Redis that accepts connections and never answers: without socket
    timeouts the publish would wait for ever."""
    hung = TcpProxy("127.0.0.1", 9)  # never forwards anywhere: stalled
    hung.stall()
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }
    try:
        with broker_at(settings, f"redis://{hung.address}/0"):
            started = time.monotonic()
            assert tasks.enqueue(reminders_dispatch) is False
            assert time.monotonic() - started < 10  # a hang check, generous
    finally:
        hung.stop()


def test_a_task_failing_when_run_eagerly_is_logged_not_raised(settings, caplog):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with mock.patch(
        "tracker.reminders.services.delivery.reminders_dispatch",
        side_effect=RuntimeError,
    ):
        assert tasks.enqueue(reminders_dispatch) is False
    assert "failed; the periodic sweep will retry it" in caplog.text
