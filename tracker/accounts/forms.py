"""Forms for the team pages. They validate input; services do the writing."""

from django import forms

from tracker.accounts.models import Team
from tracker.accounts.services import TEAM_FIELDS


class TeamVisibilityForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = TEAM_FIELDS
        widgets = {"visibility": forms.RadioSelect}
        labels = {"visibility": "Who may read this team's products"}
        help_texts = {
            "visibility": "Private: only the team's members, each product's three "
            "owners and staff see its products and everything about them; for "
            "everyone else they do not exist."
        }
