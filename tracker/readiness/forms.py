from django import forms

from tracker.readiness.models import Level, MLTestResult


class MLTestResultForm(forms.ModelForm):
    class Meta:
        model = MLTestResult
        fields = ["level", "evidence", "ci_context"]
        widgets = {"evidence": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        if (
            data.get("level") != Level.NOT_DONE
            and not (data.get("evidence") or "").strip()
        ):
            self.add_error("evidence", "Give a link or a note showing how it is done.")
        return data
