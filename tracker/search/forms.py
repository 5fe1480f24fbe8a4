"""The search box's input, for the page and the API."""

from django import forms

from tracker.search.selectors import KINDS

MAX_QUERY = 200


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=MAX_QUERY,
        strip=True,
        error_messages={"required": "Type something to search for."},
    )
    kind = forms.ChoiceField(
        required=False,
        choices=[("", "Everything"), *((kind.key, kind.label) for kind in KINDS)],
        help_text="Only this kind, with more results.",
    )
