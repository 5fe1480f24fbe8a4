"""Forms for the notification preferences and KPI reviews; services write."""

import zoneinfo

from django import forms

from tracker.reminders.models import NotificationPreferences
from tracker.reminders.services.reviews import parse_review_weeks

HOUR_CHOICES = [(h, f"{h:02d}:00") for h in range(24)]


def _timezones() -> list[tuple[str, str]]:
    zones = sorted(zoneinfo.available_timezones())
    return [(name, name.replace("_", " ")) for name in zones]


class PreferencesForm(forms.ModelForm):
    timezone = forms.ChoiceField(label="Time zone", choices=_timezones)
    quiet_start_hour = forms.TypedChoiceField(
        label="Quiet from",
        choices=[("", "No quiet hours"), *HOUR_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
    )
    quiet_end_hour = forms.TypedChoiceField(
        label="Quiet until",
        choices=[("", "—"), *HOUR_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Mail due in these hours waits until they end.",
    )
    digest_hour = forms.TypedChoiceField(
        label="Send digests at",
        choices=HOUR_CHOICES,
        coerce=int,
        help_text="Local time: the daily digest every day, the leadership digest "
        "on Mondays.",
    )

    class Meta:
        model = NotificationPreferences
        fields = [
            "email_enabled",
            "in_app_enabled",
            "timezone",
            "quiet_start_hour",
            "quiet_end_hour",
            "digest_enabled",
            "leadership_digest",
            "digest_hour",
        ]
        help_texts = {
            "email_enabled": "One mail per reminder, or the digest.",
            "in_app_enabled": "The bell in the top bar and the notifications page.",
            "digest_enabled": "One mail a day listing everything due, instead of "
            "one mail per reminder.",
            "leadership_digest": "One mail on Monday mornings: the products of the "
            "portfolio that need attention, with links to the portfolio report.",
        }


class ReviewPlanForm(forms.Form):
    weeks = forms.CharField(
        label="Review weeks after launch",
        required=False,
        max_length=200,
        help_text="Comma-separated, e.g. 2, 6, 13. Leave empty for no reviews.",
    )

    def clean_weeks(self) -> list[int]:
        return parse_review_weeks(self.cleaned_data["weeks"])


class ReviewCompleteForm(forms.Form):
    conclusion = forms.CharField(
        label="Conclusion",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text="Did the KPIs move against the baseline? What happens next?",
    )
