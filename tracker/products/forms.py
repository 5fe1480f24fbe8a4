"""Forms for the product pages. They validate input; services do the writing."""

from django import forms
from django.utils import timezone

from tracker.accounts.models import User
from tracker.lib.durations import format_duration, parse_human_duration
from tracker.lib.forms import ModelChoiceField, ModelMultipleChoiceField
from tracker.lib.widgets import MultiPicker, Picker
from tracker.products.experiments import EXPERIMENT_FIELDS, ROLLOUT_STEP_FIELDS
from tracker.products.models import (
    GATED_STAGES,
    FeatureSource,
    PlanningSession,
    Product,
    ServiceLevel,
    Stage,
    SuccessMetric,
)
from tracker.products.models_experiments import Experiment, RolloutStep
from tracker.products.services import METRIC_FIELDS, SURVEY_FIELDS


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class HumanDurationField(forms.Field):
    """A duration typed as "15m", "2h", "1d 6h" (or ISO 8601)."""

    default_error_messages = {
        "invalid": "Enter a duration such as 15m, 2h, 1d or 1w.",
    }

    def prepare_value(self, value):
        return format_duration(value) if hasattr(value, "total_seconds") else value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parsed = parse_human_duration(str(value))
        if parsed is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def people() -> "forms.models.QuerySet[User]":
    return User.objects.filter(is_active=True).order_by("username")


class PersonChoiceField(ModelChoiceField):
    """One person, picked by searching (the page never lists everyone)."""

    widget = Picker("pickers:people")

    def label_from_instance(self, obj: User) -> str:
        return obj.picker_label


class PeopleChoiceField(ModelMultipleChoiceField):
    """Several people, picked by searching, shown as chips."""

    widget = MultiPicker("pickers:people")

    def label_from_instance(self, obj: User) -> str:
        return obj.picker_label


class TeamChoiceField(ModelChoiceField):
    """One team, picked by searching."""

    widget = Picker("pickers:teams")


class ProductChoiceField(ModelChoiceField):
    """One product, picked by searching among those the reader may read (the
    field's queryset still decides what may be chosen)."""

    widget = Picker("pickers:products")

    def label_from_instance(self, obj: Product) -> str:
        return obj.picker_label


class ProductForm(forms.ModelForm):
    stage = forms.ChoiceField(choices=Stage.choices, initial=Stage.PROPOSED)

    class Meta:
        model = Product
        fields = [
            "name",
            "slug",
            "team",
            "stage",
            "summary",
            "problem_statement",
            "success_definition",
            "pm_owner",
            "ml_owner",
            "eng_owner",
            "shared_ownership_accepted",
            "risk_tier",
            "business_context",
            "worst_case_matters",
            "worst_case_evaluation",
            "constraints",
            "simple_baseline",
            "badge_public",
        ]
        field_classes = {
            "pm_owner": PersonChoiceField,
            "ml_owner": PersonChoiceField,
            "eng_owner": PersonChoiceField,
            "team": TeamChoiceField,
        }
        widgets = {
            "problem_statement": forms.Textarea(attrs={"rows": 3}),
            "success_definition": forms.Textarea(attrs={"rows": 3}),
            "business_context": forms.Textarea(attrs={"rows": 3}),
            "worst_case_evaluation": forms.Textarea(attrs={"rows": 2}),
            "constraints": forms.Textarea(attrs={"rows": 3}),
            "simple_baseline": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        for role in ("pm_owner", "ml_owner", "eng_owner"):
            self.fields[role].queryset = people()
        if self.instance.pk:
            # Stage moves go through the stage form, which records a note.
            del self.fields["stage"]
        else:
            # Pilot and production are entered through the readiness gate.
            self.fields["stage"].choices = [
                c for c in Stage.choices if c[0] not in GATED_STAGES
            ]
            self.fields["stage"].help_text = (
                "Move to pilot or production from the product page: readiness "
                "is checked then."
            )
        self.fields["slug"].help_text = "Used in URLs and the API, e.g. fraud-score."


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Stage.choices)
    note = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    override = forms.BooleanField(required=False, widget=forms.HiddenInput)


class MetricForm(forms.ModelForm):
    class Meta:
        model = SuccessMetric
        fields = METRIC_FIELDS
        field_classes = {"owner": PersonChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "baseline_at": DateInput(),
            "target_date": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class MeasurementForm(forms.Form):
    value = forms.FloatField()  # refuses nan and infinities itself
    measured_at = forms.DateTimeField(widget=DateTimeLocalInput(), initial=_now_minute)
    note = forms.CharField(required=False, max_length=500)
    segment = forms.ChoiceField(required=False, help_text="Empty: the whole metric.")
    arm = forms.ChoiceField(
        required=False,
        label="Experiment arm",
        help_text="An arm of the experiment running at that time; empty: none.",
    )

    def __init__(self, *args, segments: list[str] = (), arms: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if segments:
            self.fields["segment"].choices = [("", "all traffic")] + [
                (name, name) for name in segments
            ]
        else:
            del self.fields["segment"]
        if arms:
            self.fields["arm"].choices = [("", "none")] + [(a, a) for a in arms]
        else:
            del self.fields["arm"]


class SLACheckForm(forms.Form):
    value = forms.FloatField()  # refuses nan and infinities itself
    checked_at = forms.DateTimeField(widget=DateTimeLocalInput(), initial=_now_minute)


class SLAForm(forms.ModelForm):
    class Meta:
        model = ServiceLevel
        fields = [
            "name",
            "indicator",
            "description",
            "comparator",
            "threshold",
            "window_days",
            "objective",
            "auto_resolve",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {"objective": "Objective (%)", "window_days": "Window (days)"}


class SurveyFeatureForm(forms.ModelForm):
    freshness_needed = HumanDurationField(
        required=False, help_text="How fresh the model needs it, e.g. 5m, 1h, 1d."
    )
    freshness_actual = HumanDurationField(
        required=False, help_text="How fresh production delivers it today."
    )

    class Meta:
        model = FeatureSource
        fields = SURVEY_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "preprocessing": forms.Textarea(attrs={"rows": 2}),
            "simpler_alternative": forms.Textarea(attrs={"rows": 2}),
            "quality_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name.startswith("quality_") and name != "quality_note":
                field.label = name.removeprefix("quality_").capitalize()


class SessionForm(forms.ModelForm):
    attendees = PeopleChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="The product's team and its owners.",
    )

    class Meta:
        model = PlanningSession
        fields = [
            "title",
            "held_at",
            "attendees",
            "decisions",
            "notes",
            "open_questions",
        ]
        widgets = {
            "held_at": DateTimeLocalInput(),
            "decisions": forms.Textarea(attrs={"rows": 4}),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "open_questions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = candidates
        if not self.instance.pk:
            self.fields["held_at"].initial = _now_minute


class SessionNotesForm(forms.ModelForm):
    """What the workspace edits during the session: decisions and open questions."""

    class Meta:
        model = PlanningSession
        fields = ["decisions", "open_questions", "notes"]
        widgets = {
            "decisions": forms.Textarea(attrs={"rows": 4}),
            "open_questions": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class RolloutStepForm(forms.ModelForm):
    decider = ModelChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = RolloutStep
        fields = ROLLOUT_STEP_FIELDS
        widgets = {
            "entry_criteria": forms.Textarea(attrs={"rows": 2}),
            "exit_criteria": forms.Textarea(attrs={"rows": 2}),
            "starts_on": DateInput(),
            "ends_on": DateInput(),
        }
        labels = {"percent": "Percent of traffic", "decider": "Who decides"}

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decider"].queryset = candidates
        self.fields["decider"].label_from_instance = _person_label
        self.fields["decider"].label = "Who decides"
        if not self.instance.pk and self.instance.product_id:
            last = self.instance.product.rollout_steps.order_by("-position").first()
            self.initial["position"] = last.position + 1 if last else 1


def _person_label(user: User) -> str:
    return (
        f"{user.get_full_name()} ({user.username})"
        if user.get_full_name()
        else user.username
    )


class ExperimentForm(forms.ModelForm):
    arms = forms.CharField(
        max_length=1000,
        help_text="Comma-separated, the one compared against first: control, model.",
    )

    class Meta:
        model = Experiment
        fields = EXPERIMENT_FIELDS
        widgets = {
            "hypothesis": forms.Textarea(attrs={"rows": 2}),
            "started_at": DateTimeLocalInput(),
            "ended_at": DateTimeLocalInput(),
        }
        help_texts = {
            "ended_at": "Empty while it runs; set it to finish the experiment."
        }

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = product.metrics.all()
        self.fields["metric"].label_from_instance = lambda metric: metric.name
        if self.instance.pk:
            self.fields["arms"].initial = ", ".join(
                arm.name for arm in self.instance.arms.all()
            )
        else:
            self.fields["started_at"].initial = _now_minute
            self.fields["arms"].initial = "control, model"

    def clean_arms(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["arms"].split(",")]
