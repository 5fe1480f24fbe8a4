"""The insights' filters: team, product and the portfolio's periods. A private
team or product the reader may not read is as unknown as a made-up slug."""

from django import forms

from tracker.accounts.models import Team
from tracker.accounts.selectors import Reader, teams_visible_to
from tracker.insights.selectors import Filters
from tracker.lib.forms import ModelChoiceField
from tracker.lib.periods import period_choices, period_get
from tracker.lib.widgets import Picker
from tracker.products.models import Product
from tracker.products.selectors import products_readable_by


class InsightsFilterForm(forms.Form):
    team = ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="slug",
        required=False,
        widget=Picker("pickers:teams"),
    )
    product = ModelChoiceField(
        queryset=Product.objects.none(),
        to_field_name="slug",
        required=False,
        widget=Picker("pickers:products"),
    )
    period = forms.ChoiceField(required=False)

    def __init__(self, *args, user: Reader, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_visible_to(user)
        self.fields["product"].queryset = products_readable_by(user).order_by("name")
        self.fields["period"].choices = [(p.key, p.label) for p in period_choices()]

    def filters(self) -> Filters:
        """The valid filters (an invalid form filters nothing but the period)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return Filters(
            period=period_get(data.get("period")),
            team=data.get("team"),
            product=data.get("product"),
        )
