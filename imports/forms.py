from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from advisors.models import Branch
from clients.permissions import may_import_kind

from .models import ImportKind, ImportMode


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Detect from the columns"))] + ImportKind.choices,
    )
    mode = forms.ChoiceField(
        label=_("Existing rows"), choices=ImportMode.choices, initial=ImportMode.INSERT
    )
    partial = forms.BooleanField(
        label=_("Import the valid rows and report the rest"), required=False
    )
    branch = forms.ModelChoiceField(
        label=_("Branch"), queryset=Branch.objects.all(), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None or not user.is_superuser:
            del self.fields["branch"]
        # Only the kinds the user may import are offered (securities and prices are
        # shared by every branch); a detected one is checked again when the file runs.
        self.fields["kind"].choices = [
            (value, label)
            for value, label in self.fields["kind"].choices
            if not value or may_import_kind(user, value)
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_FILE_BYTES
        if upload.size > limit:  # refused before a byte of it is parsed
            raise forms.ValidationError(
                _("The file is %(size)s, over the import limit of %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        return upload

    def clean_branch(self):
        branch = self.cleaned_data.get("branch")
        if self.user is not None and not self.user.is_superuser:
            return self.user.branch
        if branch is None:
            raise forms.ValidationError(_("Choose the branch to import into."))
        return branch
