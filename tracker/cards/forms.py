"""Forms of the model card, its scope, decisions and answers to an approval."""

from django import forms

from tracker.accounts.models import User
from tracker.cards.models import (
    CARD_FIELDS,
    CARD_SECTIONS,
    VERSION_CARD_FIELDS,
    ApprovalState,
    ModelCard,
    VersionModelCard,
)
from tracker.lib.forms import ModelChoiceField
from tracker.products.forms import PeopleChoiceField


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class VersionModelCardForm(forms.ModelForm):
    class Meta:
        model = VersionModelCard
        fields = VERSION_CARD_FIELDS
        widgets = {
            "model_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: forms.Textarea(attrs={"rows": 3}) for name, _ in CARD_SECTIONS},
        }
        labels = dict(CARD_SECTIONS)


class ModelCardForm(forms.ModelForm):
    use_cases_served = forms.CharField(
        label="Use cases it serves",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: the handful of narrow use cases it is built for.",
    )
    use_cases_not_served = forms.CharField(
        label="Use cases it explicitly does not serve",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line.",
    )
    segments = forms.CharField(
        label="Segments",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One dimension=value per line, e.g. merchant_size=small: "
        "measurements may then name one.",
    )

    class Meta:
        model = ModelCard
        fields = CARD_FIELDS
        widgets = {
            "model_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: forms.Textarea(attrs={"rows": 3}) for name, _ in CARD_SECTIONS},
        }
        labels = dict(CARD_SECTIONS) | {"model_version": "Version"}

    def __init__(self, *args, use_cases=(), segments=(), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["segments"] = "\n".join(s.name for s in segments)
            self.initial["use_cases_served"] = "\n".join(
                u.description for u in use_cases if u.served
            )
            self.initial["use_cases_not_served"] = "\n".join(
                u.description for u in use_cases if not u.served
            )

    def clean_use_cases_served(self) -> list[str]:
        return _lines(self.cleaned_data["use_cases_served"])

    def clean_use_cases_not_served(self) -> list[str]:
        return _lines(self.cleaned_data["use_cases_not_served"])

    def clean_segments(self) -> list[str]:
        return _lines(self.cleaned_data["segments"])


class DecisionForm(forms.Form):
    title = forms.CharField(max_length=200)
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    alternatives = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The alternatives considered, and why each was rejected.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    session = ModelChoiceField(
        queryset=None, required=False, help_text="The planning session, if any."
    )
    approvers = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="None chosen: the product's PM owner.",
    )

    def __init__(self, *args, product, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = product.sessions.order_by("-held_at")
        self.fields["approvers"].queryset = candidates


class AnswerForm(forms.Form):
    state = forms.ChoiceField(
        choices=[
            (ApprovalState.APPROVED, "Approve"),
            (ApprovalState.OBJECTED, "Object"),
        ]
    )
    comment = forms.CharField(required=False, max_length=5000)
