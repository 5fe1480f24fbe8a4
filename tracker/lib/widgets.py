"""Pickers: a form widget for a choice among many rows (products, people, teams,
incidents) that never lists them all.

The page holds only what is picked; the browser asks a picker endpoint
(tracker.pages.pickers) for at most a few dozen matches as the person types
(static/js/picker.js). Without JavaScript it is a text input taking the value
itself (a slug, a username or an id; several separated by commas). The field
still validates on the server: an unknown or invisible value is a form error.
"""

import re

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

_SEPARATORS = re.compile(r"[,\s]+")
# At most this many picked values are looked up to show their labels; a longer
# list (only ever typed by hand) is refused by the field, not shown.
MAX_PICKED = 50


class Picker(forms.Widget):
    """A searchable choice of one row. `source` names the picker endpoint's URL;
    `params` are added to each search (e.g. {"product": "fraud-score"}); `key` is
    the member of a match that is submitted (by default the model choice field's
    `to_field_name`, else "id"). On a plain text field it shows the value itself."""

    template_name = "includes/picker.html"
    allow_multiple_selected = False

    def __init__(
        self, source: str, *, key: str = "", params: dict | None = None, attrs=None
    ):
        super().__init__(attrs)
        self.source = source
        self.key = key
        self.params = params or {}
        self.choices = ()  # set by the model choice field

    def __deepcopy__(self, memo):
        obj = super().__deepcopy__(memo)
        obj.params = dict(self.params)
        return obj

    # -- reading the submitted value ---------------------------------------------
    def value_from_datadict(self, data, files, name):
        if not self.allow_multiple_selected:
            value = data.get(name)
            return value.strip() if isinstance(value, str) else value
        getter = getattr(data, "getlist", None)
        raw = getter(name) if getter else data.get(name)
        if raw is None:
            return []
        if isinstance(raw, str):
            raw = [raw]
        return [part for item in raw for part in _SEPARATORS.split(str(item)) if part]

    def value_omitted_from_data(self, data, files, name):
        return self.allow_multiple_selected is False and name not in data

    # -- rendering ----------------------------------------------------------------
    def format_value(self, value) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        return [str(v) for v in value if v not in (None, "")]

    def _field(self):
        return getattr(self.choices, "field", None)

    def value_key(self) -> str:
        field = self._field()
        return self.key or getattr(field, "to_field_name", None) or "id"

    def picked(self, values: list[str]) -> list[tuple[str, str]]:
        """(value, label) of each picked row the field's queryset holds, in order:
        one query, whatever the number of rows the field could choose from."""
        field = self._field()
        values = values[:MAX_PICKED]
        if field is None:
            return [(v, v) for v in values]
        key = self.value_key()
        if key == "id":
            lookup = [int(v) for v in values if v.isdigit() and int(v) < 2**63]
        else:
            lookup = [v for v in values if "\x00" not in v]
        if not lookup:
            return []
        rows = {
            str(getattr(row, key if key != "id" else "pk")): row
            for row in field.queryset.filter(**{f"{key}__in": lookup})
        }
        return [(v, field.label_from_instance(rows[v])) for v in values if v in rows]

    def get_context(self, name, value, attrs, picked=None):
        context = super().get_context(name, value, attrs)
        values = context["widget"]["value"]
        context["widget"].update(
            multiple=self.allow_multiple_selected,
            text=", ".join(values),
            picked=self.picked(values) if picked is None else picked,
            source=reverse(self.source),
            params=self.params,
            value_key=self.value_key(),
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates (the default form renderer reads only apps').
        context = self.get_context(name, value, attrs)
        return mark_safe(render_to_string(self.template_name, context))

    def render_picked(self, name, picked: list[tuple[str, str]], attrs=None) -> str:
        """A picker outside a form field, with (value, label) already picked."""
        values = [value for value, _ in picked]
        context = self.get_context(name, values, attrs, picked=picked)
        return mark_safe(render_to_string(self.template_name, context))


class MultiPicker(Picker):
    """A searchable choice of several rows, shown as removable chips."""

    allow_multiple_selected = True

    def value_omitted_from_data(self, data, files, name):
        return False  # an empty multi-choice is submitted as nothing at all
