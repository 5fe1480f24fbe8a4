"""Forms of the releases pages: register a version, record a deployment, and
connect the product's MLflow registry."""

from django import forms

from tracker.releases.models import Alias, Deployment, MlflowRegistry, ModelVersion


class ModelVersionForm(forms.ModelForm):
    class Meta:
        model = ModelVersion
        fields = ["version", "code_sha", "data_snapshot", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def validate_unique(self) -> None:
        """The service writes; the database's constraint decides (its error is
        shown beside `version`)."""


class VersionAliasesForm(forms.Form):
    aliases = forms.MultipleChoiceField(
        choices=Alias.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="An alias ticked here that names another version moves to this "
        "one; one left unticked is removed. An MLflow sync sets them as MLflow has "
        "them.",
    )


class DeploymentForm(forms.ModelForm):
    def __init__(self, *args, product, **kwargs) -> None:
        # Shown beside the version form: ids of its own, so labels stay unique.
        kwargs.setdefault("auto_id", "deployment_%s")
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = ModelVersion.objects.filter(product=product)
        self.fields["deployed_at"].required = False
        self.fields["deployed_at"].help_text = "Empty: now."

    class Meta:
        model = Deployment
        fields = ["version", "environment", "traffic_percent", "deployed_at", "notes"]
        widgets = {
            "deployed_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class MlflowRegistryForm(forms.ModelForm):
    token = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        max_length=500,
        help_text="Optional bearer token; empty keeps the one saved.",
    )

    class Meta:
        model = MlflowRegistry
        fields = ["tracking_uri", "registered_model", "token"]
