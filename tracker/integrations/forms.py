"""Forms of the integrations pages: they validate input; services write."""

from django import forms

from tracker.accounts.models import Team
from tracker.integrations.models import Connection, ConnectionKind, Event, WebhookKind
from tracker.integrations.services.webhooks import SUBSCRIBABLE
from tracker.lib.forms import ModelChoiceField
from tracker.lib.widgets import Picker
from tracker.products.models import Product


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=WebhookKind.choices, label="Format")
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        label="URL",
        help_text="The incoming webhook's URL (Slack, Mattermost, a Teams "
        "workflow) or your endpoint. Stored encrypted.",
    )
    events = forms.MultipleChoiceField(
        choices=[(e, Event(e).label) for e in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        initial=SUBSCRIBABLE,
    )
    team = ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        help_text="All its products…",
        widget=Picker("pickers:teams"),
    )
    product = ModelChoiceField(
        queryset=Product.objects.none(),
        required=False,
        to_field_name="slug",
        help_text="…or one product.",
        widget=Picker("pickers:products", params={"editable": "1"}),
    )

    def __init__(self, *args, teams, products, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["product"].queryset = products

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("product")):
            raise forms.ValidationError("Choose a team or a product: exactly one.")
        return data


class ConnectionForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=ConnectionKind.choices)
    team = ModelChoiceField(
        queryset=Team.objects.none(), widget=Picker("pickers:teams")
    )
    base_url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="Base URL",
        help_text="Prometheus: http://prometheus:9090. GitHub: https://api.github.com.",
    )
    repository = forms.CharField(
        max_length=200, required=False, help_text="GitHub: owner/name."
    )
    token = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.PasswordInput,
        help_text="Prometheus: optional bearer token. GitHub: a token that may "
        "create issues. Stored encrypted.",
    )
    webhook_secret = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput,
        help_text="GitHub: the secret of the repository's issues webhook.",
    )

    def __init__(self, *args, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class ConnectionEditForm(ConnectionForm):
    """A connection's edit: not its team or kind. The secrets are never shown
    again; left blank they stay as they are, "remove" clears them."""

    remove_token = forms.BooleanField(required=False, label="Remove the token")
    remove_webhook_secret = forms.BooleanField(
        required=False, label="Remove the webhook secret"
    )

    def __init__(self, *args, connection, **kwargs) -> None:
        initial = {
            "name": connection.name,
            "base_url": connection.base_url,
            "repository": connection.repository,
        }
        super().__init__(*args, teams=Team.objects.none(), initial=initial, **kwargs)
        del self.fields["kind"], self.fields["team"]
        for name in ("token", "webhook_secret"):
            self.fields[name].help_text += " Leave blank to keep the one set."

    def changes(self) -> dict:
        """The cleaned data as the service takes it: blank secrets are kept."""
        data = {f: self.cleaned_data[f] for f in ("name", "base_url", "repository")}
        for name in ("token", "webhook_secret"):
            if self.cleaned_data[f"remove_{name}"]:
                data[name] = ""
            elif self.cleaned_data[name]:
                data[name] = self.cleaned_data[name]
        return data


class IssueForm(forms.Form):
    connection = forms.ModelChoiceField(
        queryset=Connection.objects.none(),
        label="Repository",
        empty_label=None,
    )

    def __init__(self, *args, connections, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connection"].queryset = connections
        self.fields["connection"].label_from_instance = lambda c: (
            f"{c.repository} ({c.name})"
        )
