"""Fixtures of the reports tests: the leadership digest's tests read the
launched product the reminders tests use."""

from tests.reminders.conftest import dan, launched  # noqa: F401
