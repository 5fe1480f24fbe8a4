"""Forms for the incident pages. They validate input; services do the writing."""

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from tracker.incidents.models import (
    AlertIntegration,
    Incident,
    IntegrationKind,
    Kind,
    Severity,
)
from tracker.lib.validators import not_in_future
from tracker.lib.widgets import Picker
from tracker.products import forms as products_forms
from tracker.products.forms import DateTimeLocalInput
from tracker.products.models import Product


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class ProductChoiceField(products_forms.ProductChoiceField):
    """A product the person may edit, picked by searching."""

    widget = Picker("pickers:products", params={"editable": "1"})


class IncidentForm(forms.ModelForm):
    """A person reporting an incident: always on a product they may edit."""

    product = ProductChoiceField(queryset=Product.objects.none())
    started_at = forms.DateTimeField(
        label="Started",
        widget=DateTimeLocalInput(),
        initial=_now_minute,
        validators=[not_in_future],
        help_text="When users were first affected, as far as you know.",
    )

    class Meta:
        model = Incident
        fields = [
            "title",
            "product",
            "kind",
            "severity",
            "started_at",
            "description",
            "dashboard_url",
            "runbook_url",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "dashboard_url": forms.URLInput(),
            "runbook_url": forms.URLInput(),
        }
        labels = {"description": "What is happening"}

    def __init__(self, *args, products: QuerySet[Product], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class IncidentChangeForm(forms.Form):
    """Reassign or triage: product, severity, kind and title.

    Only the fields present in the submitted form change, so the inbox's short
    form (product and severity) and the full form share it.
    """

    product = ProductChoiceField(queryset=Product.objects.none(), required=False)
    severity = forms.ChoiceField(choices=Severity.choices, required=False)
    kind = forms.ChoiceField(choices=Kind.choices, required=False)
    title = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, products: QuerySet[Product], incident: Incident, **kw):
        super().__init__(*args, **kw)
        self.incident = incident
        self.fields["product"].queryset = products
        self.fields["product"].empty_label = (
            "Choose a product…" if incident.product_id is None else None
        )

    def clean(self):
        data = super().clean()
        if self.incident.product_id is None and not data.get("product"):
            self.add_error("product", "Choose the product this incident belongs to.")
        return data

    def changes(self) -> dict:
        """The submitted, non-empty values (what the person meant to set)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.data and value not in (None, "")
        }


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add to the timeline",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class IntegrationForm(forms.ModelForm):
    product = ProductChoiceField(
        queryset=Product.objects.none(),
        required=False,
        label="Default product",
        help_text="For alerts without a `product` label; empty: the untriaged inbox.",
    )

    class Meta:
        model = AlertIntegration
        fields = ["name", "kind", "product", "hmac_secret"]
        widgets = {"hmac_secret": forms.TextInput(attrs={"autocomplete": "off"})}
        help_texts = {
            "name": "Which tool and where, e.g. “Prometheus prod-eu”.",
            "hmac_secret": "Optional. Set the same secret in Grafana's HMAC "
            "signature settings to accept signed deliveries.",
        }

    def __init__(self, *args, products: QuerySet[Product], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["kind"].initial = IntegrationKind.ALERTMANAGER
