"""The admin's form for a scoring policy version: JSON checked against `Policy`."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ScoringPolicy
from .policy import Policy


class ScoringPolicyForm(forms.ModelForm):
    """Edits a policy as JSON; saving writes the next version (see the admin)."""

    class Meta:
        model = ScoringPolicy
        fields = ["branch", "data", "note"]
        help_texts = {
            "data": _(
                "Every threshold and weight of SPEC §3 and §4 as JSON sections; "
                "missing settings take the defaults, unknown ones are refused."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.initial.get("data"):
            self.initial["data"] = json.dumps(Policy().to_dict(), indent=2)

    def clean_data(self):
        data = self.cleaned_data["data"]
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The policy must be a JSON object."))
        try:
            return Policy.from_dict(data).to_dict()
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(str(exc)) from exc
