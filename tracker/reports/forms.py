from django import forms

from tracker.accounts.models import Team
from tracker.accounts.selectors import Reader, teams_visible_to
from tracker.lib.forms import ModelChoiceField
from tracker.lib.periods import period_choices
from tracker.lib.widgets import Picker
from tracker.products.models import RiskTier, Stage
from tracker.reports.selectors.summary import SORT_CHOICES


class PortfolioFilterForm(forms.Form):
    """Filters of the portfolio report; invalid values are reported, not fatal."""

    team = ModelChoiceField(
        queryset=Team.objects.none(),
        to_field_name="slug",
        required=False,
        widget=Picker("pickers:teams"),
    )
    stage = forms.ChoiceField(
        choices=[("", "All stages"), *Stage.choices], required=False
    )
    risk_tier = forms.ChoiceField(
        choices=[("", "Any risk tier"), *RiskTier.choices], required=False
    )
    period = forms.ChoiceField(required=False)
    # The page's products table only (the exports keep the report's order).
    sort = forms.ChoiceField(choices=[("", "Team"), *SORT_CHOICES[1:]], required=False)

    def __init__(self, *args, user: Reader, **kwargs):
        super().__init__(*args, **kwargs)
        # A private team the person is not in is as unknown as a made-up slug.
        self.fields["team"].queryset = teams_visible_to(user)
        self.fields["period"].choices = [(p.key, p.label) for p in period_choices()]

    def describe(self) -> str:
        """The filters in words, printed on exports."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        parts = [
            f"team {data['team'].name}" if data.get("team") else "all teams",
            f"stage {Stage(data['stage']).label}"
            if data.get("stage")
            else "all stages",
            f"{RiskTier(data['risk_tier']).label.lower()} risk"
            if data.get("risk_tier")
            else "any risk tier",
        ]
        return ", ".join(parts)
