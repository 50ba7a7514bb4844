"""The advisor's form to resolve a churn flag."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FlagOutcome


class ChurnFlagResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=FlagOutcome.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.TextInput
    )
