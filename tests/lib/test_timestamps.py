"""The `timestamp` tag prints a moment as the `date` filter did: the same text
in the current time zone, whatever the zone and the year; the days and moments
of tracker.lib.dates read as the filter writes them, and so do the `day`
and `moment` filters that replace its "j M Y" and "j M Y H:i"."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone
from django.utils.formats import date_format

from tracker.lib.dates import day_text, moment_text

MOMENTS = [
    datetime(2026, 1, 3, 7, 5, 9, tzinfo=UTC),
    datetime(2025, 12, 31, 23, 30, 0, 123456, tzinfo=UTC),  # a new year in Paris
    datetime(2026, 7, 14, 12, 0, tzinfo=UTC),  # summer time
]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]


def render(source: str, at: datetime) -> str:
    return Template("{% load tracker_tags %}" + source).render(Context({"at": at}))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("at", MOMENTS)
def test_the_tag_prints_what_the_date_filter_printed(zone, at):
    with timezone.override(zone):
        assert render('{% timestamp at "muted small" %}', at) == render(
            '<time class="muted small" datetime="{{ at|date:\'c\' }}" '
            'title="{{ at|date:\'j M Y H:i:s e\' }}">{{ at|date:"j M Y H:i" }}</time>',
            at,
        )
        assert render("{% timestamp at year=False %}", at) == render(
            "<time datetime=\"{{ at|date:'c' }}\" "
            'title="{{ at|date:\'j M Y H:i:s e\' }}">{{ at|date:"j M H:i" }}</time>',
            at,
        )


def test_no_moment_prints_nothing():
    assert render("[{% timestamp at %}]", None) == "[]"


def test_the_class_is_escaped():
    html = Template("{% load tracker_tags %}{% timestamp at css %}").render(
        Context({"at": MOMENTS[0], "css": 'a"b'})
    )
    assert html.startswith('<time class="a&quot;b" datetime=')


@pytest.mark.parametrize("at", MOMENTS)
def test_days_and_moments_read_as_the_date_filter_writes_them(at):
    assert day_text(at.date()) == date_format(at.date(), "j M Y")
    assert day_text(at.date(), year=False) == date_format(at.date(), "j M")
    assert moment_text(at) == date_format(at, "j M Y H:i")
    assert moment_text(at, year=False, seconds=True) == date_format(at, "j M H:i:s")


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("at", MOMENTS)
def test_the_day_and_moment_filters_print_what_the_date_filter_printed(zone, at):
    with timezone.override(zone):
        assert render("{{ at|day }}", at) == render('{{ at|date:"j M Y" }}', at)
        assert render("{{ at|moment }}", at) == render('{{ at|date:"j M Y H:i" }}', at)
        day = at.date()
        assert render("{{ at|day }}", day) == render('{{ at|date:"j M Y" }}', day)


@pytest.mark.parametrize("value", [None, "", "not a date"])
def test_the_day_and_moment_filters_print_nothing_for_no_date(value):
    assert render("[{{ at|day }}|{{ at|moment }}]", value) == "[|]"
    assert render('[{{ at|date:"j M Y" }}]', value) == "[]"
