"""Account forms: sign-in (Django's, with the throttle's refusal shown as a form
error) and a team's settings. They validate input; services do the writing."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from tracker.accounts.login_throttle import LoginThrottled
from tracker.accounts.models import Role, Team, User
from tracker.accounts.services import TEAM_CREATE_FIELDS, TEAM_FIELDS
from tracker.lib.widgets import Picker


class ThrottledLoginMixin:
    """Turns accounts.login_throttle's refusal into a non-field error that says
    how long to wait (the password was not checked)."""

    @sensitive_variables()
    def clean(self):
        try:
            return super().clean()
        except LoginThrottled as exc:
            raise ValidationError(str(exc), code="throttled") from None


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password didn't match. Please try again.",
    }


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


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


class TeamCreateForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = TEAM_CREATE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class MemberForm(forms.Form):
    """Add a person to a team, or change the role of one already in it."""

    username = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True),
        to_field_name="username",
        widget=Picker("pickers:people"),
        error_messages={"invalid_choice": "No active person has that username."},
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
