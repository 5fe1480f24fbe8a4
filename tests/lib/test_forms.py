"""Shared form fields."""

import pytest
from django.core.exceptions import ValidationError

from tracker.accounts.models import Team
from tracker.lib.forms import ModelChoiceField

pytestmark = pytest.mark.django_db


def test_model_choice_by_slug_finds_the_row(team):
    field = ModelChoiceField(queryset=Team.objects.all(), to_field_name="slug")
    assert field.clean("risk") == team


@pytest.mark.parametrize("value", ["nope", "ri\x00sk"])
def test_model_choice_by_slug_refuses_unknown_and_nul(team, value):
    field = ModelChoiceField(queryset=Team.objects.all(), to_field_name="slug")
    with pytest.raises(ValidationError, match="valid choice"):
        field.clean(value)


@pytest.mark.parametrize("value", ["x", str(2**63), "-99999999999999999999"])
def test_model_choice_by_id_refuses_what_no_id_can_be(team, value):
    field = ModelChoiceField(queryset=Team.objects.all())
    with pytest.raises(ValidationError, match="valid choice"):
        field.clean(value)
    assert field.clean(str(team.pk)) == team


def test_a_selects_choices_are_read_once(team, django_assert_num_queries):
    """Asked whether there are any, then listed: one plain statement (Django's
    own iterator reads them again, through a server-side cursor)."""
    from django import forms

    from tests.factories import TeamFactory

    TeamFactory(name="Second")

    class Form(forms.Form):
        team = ModelChoiceField(queryset=Team.objects.none())

    form = Form()
    form.fields["team"].queryset = Team.objects.order_by("name")
    with django_assert_num_queries(1) as queries:
        assert form.fields["team"].queryset
        html = str(form["team"])
        assert str(form["team"]) == html  # rendered again: read already
    assert "CURSOR" not in queries.captured_queries[0]["sql"]
    assert html.count("<option") == 3  # the empty choice and both teams
    assert f'value="{team.pk}"' in html
