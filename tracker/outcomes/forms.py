"""Forms of the outcomes pages: rate a prediction, set the feedback threshold,
record a cost, set a source's contract, add a consumer, announce a change."""

from django import forms

from tracker.accounts.models import Team, User
from tracker.lib.forms import ModelChoiceField
from tracker.outcomes.models import (
    Consumer,
    ContractChange,
    Cost,
    Rating,
    SourceContract,
)
from tracker.products.forms import (
    PersonChoiceField,
    ProductChoiceField,
    TeamChoiceField,
)
from tracker.products.models import FeatureSource, Product


class FeedbackForm(forms.Form):
    """Rate one prediction (a plain form: the service resolves the segment)."""

    rating = forms.ChoiceField(choices=Rating.choices)
    prediction_id = forms.CharField(max_length=200, required=False)
    segment = forms.ChoiceField(required=False)
    comment = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, product: Product, **kwargs) -> None:
        kwargs.setdefault("auto_id", "feedback_%s")
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", "all traffic")] + [
            (s.name, s.name) for s in product.segments.all()
        ]


class ThresholdForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "feedback_bad_percent",
            "feedback_min_ratings",
            "feedback_window_hours",
        ]


class CostForm(forms.ModelForm):
    class Meta:
        model = Cost
        fields = ["kind", "amount", "incurred_at", "note"]
        widgets = {"incurred_at": forms.DateInput(attrs={"type": "date"})}


class ContractForm(forms.ModelForm):
    # Pickers, not selects: an organisation's teams and products are too many
    # to list in a page.
    owner_team = TeamChoiceField(queryset=Team.objects.order_by("name"))
    provider = ProductChoiceField(queryset=Product.objects.none(), required=False)

    def __init__(self, *args, products, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = products
        self.fields["freshness_promised"].help_text = "e.g. 01:00:00 for one hour."

    class Meta:
        model = SourceContract
        fields = [
            "owner_team",
            "fields_relied_on",
            "freshness_promised",
            "semantics",
            "provider",
        ]
        widgets = {
            "fields_relied_on": forms.Textarea(attrs={"rows": 2}),
            "semantics": forms.Textarea(attrs={"rows": 2}),
        }


class ConsumerForm(forms.ModelForm):
    owner = PersonChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
    )
    consumer_product = ProductChoiceField(
        queryset=Product.objects.none(), required=False
    )

    def __init__(self, *args, products, **kwargs) -> None:
        kwargs.setdefault("auto_id", "consumer_%s")
        super().__init__(*args, **kwargs)
        self.fields["consumer_product"].queryset = products

    class Meta:
        model = Consumer
        fields = ["name", "owner", "relies_on", "consumer_product"]
        widgets = {"relies_on": forms.Textarea(attrs={"rows": 2})}

    def validate_unique(self) -> None:
        """The service checks the name (its error is shown beside `name`)."""


class ContractChangeForm(forms.ModelForm):
    source = ModelChoiceField(queryset=FeatureSource.objects.none(), required=False)
    consumer = ModelChoiceField(queryset=Consumer.objects.none(), required=False)

    def __init__(self, *args, product: Product, **kwargs) -> None:
        kwargs.setdefault("auto_id", "change_%s")
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = product.survey.order_by("feature")
        self.fields["consumer"].queryset = product.consumers.all()
        self.fields["source"].help_text = "Upstream: the survey source that changes."
        self.fields["consumer"].help_text = "Downstream: the consumer it reaches."

    class Meta:
        model = ContractChange
        fields = ["side", "source", "consumer", "summary", "effective_at"]
        widgets = {
            "effective_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "summary": forms.Textarea(attrs={"rows": 2}),
        }
