"""Forms for the postmortem pages. They validate input; services do the writing."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse

from tracker.accounts.models import User
from tracker.incidents.models import Incident
from tracker.lib.forms import ModelChoiceField
from tracker.lib.widgets import MultiPicker, Picker
from tracker.postmortems.models import (
    SECTIONS,
    ActionItem,
    ActionStatus,
    ContributingFactor,
    FactorCategory,
    FailureKind,
    MLKind,
    MomentKind,
    Postmortem,
    Status,
)
from tracker.postmortems.services.action_items import BulkAction
from tracker.products.forms import (
    DateInput,
    DateTimeLocalInput,
    PeopleChoiceField,
    PersonChoiceField,
)
from tracker.products.models import Product, SuccessMetric

_BIGINT = 2**63 - 1


def _storable(value) -> bool:
    """Ids are 64-bit: a larger number names no row, and querying with it raises
    in the database driver instead of failing validation."""
    try:
        return 0 < int(str(value).strip()) <= _BIGINT
    except (TypeError, ValueError):
        return False


class ChoiceOfOne(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not _storable(value):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class PersonField(ChoiceOfOne, PersonChoiceField):
    pass


class ChoiceOfMany(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not _storable(pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class PeopleField(ChoiceOfMany, PeopleChoiceField):
    pass


class IncidentsField(ChoiceOfMany):
    """Incidents of one product, picked by searching (set_product says which)."""

    widget = MultiPicker("pickers:incidents")

    def label_from_instance(self, obj: Incident) -> str:
        return obj.picker_label

    def set_product(self, product: Product | None) -> None:
        self.queryset = _incidents(product)
        self.widget.params = {"product": product.slug} if product else {}


def _people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")


def _incidents(product: Product | None) -> QuerySet[Incident]:
    if product is None:
        return Incident.objects.none()
    return product.incidents.order_by("-started_at")


class PostmortemCreateForm(forms.Form):
    """Start a postmortem: which product, which incidents (or, for a product
    that failed without any, how it failed), a working title."""

    product = ChoiceOfOne(
        queryset=Product.objects.none(),
        widget=Picker("pickers:products", params={"editable": "1"}),
    )
    title = forms.CharField(max_length=200)
    incidents = IncidentsField(
        queryset=Incident.objects.none(),
        required=False,
        help_text="The incidents this write-up covers.",
    )
    failure_kind = forms.ChoiceField(
        label="Or: the product failed without an incident",
        choices=[("", "—"), *FailureKind.choices],
        required=False,
        help_text="The KPI never moved, the data was not there, nobody adopted it…",
    )

    def __init__(self, *args, products: QuerySet[Product], product=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        chosen = product
        if self.data.get("product") and _storable(self.data["product"]):
            chosen = products.filter(pk=self.data["product"]).first() or product
        self.fields["incidents"].set_product(chosen)
        self.chosen_product = chosen

    def product_picker(self) -> str:
        """The first step's picker: choosing a product reloads the page with it."""
        picker = Picker("pickers:products", key="slug", params={"editable": "1"})
        picker.choices = self.fields["product"].choices
        picker.is_required = True
        return picker.render("product", None, {"id": "id_pick_product"})


class WriteUpForm(forms.ModelForm):
    """The sections (Markdown) with their "not applicable" boxes, and the
    numbers of the business impact."""

    class Meta:
        model = Postmortem
        fields = [
            *(s.key for s in SECTIONS),
            *(s.na_field for s in SECTIONS),
            "users_affected",
            "error_budget_consumed",
            "no_action_items",
        ]
        widgets = {s.key: forms.Textarea(attrs={"rows": 5}) for s in SECTIONS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.na_field].label = "Not applicable"
            # The live blameless check: htmx posts the section as it is typed,
            # at most once per pause, and shows the warnings below it.
            self.fields[section.key].widget.attrs.update(
                {
                    "hx-post": reverse(
                        "postmortems:check", args=[self.instance.pk, section.key]
                    ),
                    "hx-trigger": "input changed delay:600ms",
                    "hx-target": f"#warnings-{section.key}",
                    "hx-sync": "this:replace",
                    "aria-describedby": f"prompt-{section.key} warnings-{section.key}",
                }
            )
        self.fields["error_budget_consumed"].widget.attrs["step"] = "any"

    def sections(self):
        """(section, text field, not-applicable field) in reading order."""
        return [(s, self[s.key], self[s.na_field]) for s in SECTIONS]


class DetailsForm(forms.ModelForm):
    """Title, covered incidents, people and review dates."""

    incidents = IncidentsField(queryset=Incident.objects.none(), required=False)
    authors = PeopleField(queryset=User.objects.none(), required=False)
    reviewers = PeopleField(
        queryset=User.objects.none(),
        required=False,
        help_text="People who did not write it. A reviewer marks it reviewed and "
        "may accept blameless warnings.",
    )
    review_owner = PersonField(
        queryset=User.objects.none(),
        required=False,
        help_text="Schedules the review meeting and sees it through.",
    )

    class Meta:
        model = Postmortem
        fields = [
            "title",
            "incidents",
            "failure_kind",
            "authors",
            "reviewers",
            "review_owner",
            "review_meeting_at",
            "review_deadline",
        ]
        widgets = {
            "review_meeting_at": DateTimeLocalInput(),
            "review_deadline": DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incidents"].set_product(self.instance.product)
        for name in ("authors", "reviewers", "review_owner"):
            self.fields[name].queryset = _people()


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MomentForm(forms.Form):
    at = forms.DateTimeField(label="When", widget=DateTimeLocalInput())
    kind = forms.ChoiceField(choices=MomentKind.choices, initial=MomentKind.NOTE)
    description = forms.CharField(
        label="What happened", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    starred = forms.BooleanField(label="Key moment", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "moment")
        super().__init__(*args, **kwargs)


class FactorForm(forms.ModelForm):
    class Meta:
        model = ContributingFactor
        fields = ["category", "ml_kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "description": "The mechanism, not the person: what condition made "
            "the failure possible?",
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "factor")
        super().__init__(*args, **kwargs)
        self.fields["ml_kind"].choices = [("", "—"), *MLKind.choices]
        self.fields["category"].choices = FactorCategory.choices


class ImpactForm(forms.Form):
    # One of the product's few metrics, read once (the page asks whether
    # there are any, then lists them).
    metric = ModelChoiceField(queryset=SuccessMetric.objects.none(), label="KPI")
    change = forms.CharField(
        label="How much", max_length=200, help_text="e.g. −4% approvals for 3 hours"
    )

    def __init__(self, *args, product: Product, **kwargs):
        kwargs.setdefault("prefix", "impact")
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = product.metrics.order_by("kind", "name")


class ActionItemForm(forms.ModelForm):
    owner = PersonField(queryset=User.objects.none(), required=False)

    class Meta:
        model = ActionItem
        fields = ["description", "kind", "owner", "due_date", "priority", "ticket_url"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "due_date": DateInput(),
            "ticket_url": forms.URLInput(),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    note = forms.CharField(required=False, max_length=500)


# At most this many rows are changed at once (two pages of the list).
MAX_BULK = 100


class IdsField(forms.Field):
    """The ids of the rows ticked (checkboxes named alike), once each."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Tick the action items to change.",
        "invalid": "Action items are chosen by their ids.",
        "too_many": f"Change at most {MAX_BULK} action items at once.",
    }

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if not all(_storable(pk) for pk in values):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        ids = list(dict.fromkeys(int(str(pk).strip()) for pk in values))
        if len(ids) > MAX_BULK:
            raise ValidationError(self.error_messages["too_many"], code="too_many")
        return ids


class ActionItemBulkForm(forms.Form):
    """The action items page's bar: what to do to the rows ticked."""

    item = IdsField()
    action = forms.ChoiceField(choices=BulkAction.choices, label="Action")
    owner = forms.CharField(
        required=False,
        max_length=150,
        label="New owner",
        # Found as the reader types (pickers:people), submitted as the username.
        widget=Picker("pickers:people", key="username"),
    )
    due_date = forms.DateField(required=False, label="New due date", widget=DateInput())
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Why it won't be done",
        widget=forms.TextInput(attrs={"placeholder": "Why it won't be done"}),
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: the filters above it have an "owner" field too.
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(*args, **kwargs)

    def clean_owner(self) -> User | None:
        username = self.cleaned_data["owner"].strip()
        if not username:
            return None
        person = _people().filter(username=username).first()
        if person is None:
            raise ValidationError(f"No active user {username}.")
        return person

    def clean(self):
        data = super().clean()
        needs = {
            BulkAction.REASSIGN: ("owner", "Say who takes them over."),
            BulkAction.DUE_DATE: ("due_date", "Choose the new due date."),
            BulkAction.WONT_DO: ("reason", "Say why they won't be done."),
        }
        action = data.get("action")
        if action in needs:
            name, message = needs[action]
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data
