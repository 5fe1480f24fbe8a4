from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from tracker.porting.reader import DocumentError, document_parse


class ImportForm(forms.Form):
    document = forms.FileField(
        label="Export document (JSON)",
        help_text="A file from “Download the instance export”, a product's "
        "“Export JSON”, or manage.py export_data.",
    )
    skip_existing = forms.BooleanField(
        label="Keep what exists",
        required=False,
        help_text="Products and teams whose slug exists here are kept as they "
        "are and skipped in the document, and the rest is imported. Without "
        "this, such a clash stops the import.",
    )
    dry_run = forms.BooleanField(
        label="Only check (dry run)",
        required=False,
        help_text="Check everything and count what would be created; write nothing.",
    )

    def clean_document(self):
        upload = self.cleaned_data["document"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is larger than {filesizeformat(limit)}; import it with "
                "manage.py import_data."
            )
        try:
            return document_parse(upload.read())
        except DocumentError as error:
            raise forms.ValidationError(error.lines) from None
