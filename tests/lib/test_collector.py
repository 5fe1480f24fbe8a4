"""tracker/lib/collector.py: the cyclic collector is paused for the block and
resumes after it, also when the block fails, and nested pauses resume once."""

import gc

import pytest

from tracker.lib.collector import collector_paused


def test_paused_inside_and_resumed_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one be
    assert gc.isenabled()


def test_resumed_when_the_block_fails():
    @collector_paused()
    def fails():
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        fails()
    assert gc.isenabled()


def test_left_off_when_it_was_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
