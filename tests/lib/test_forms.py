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
