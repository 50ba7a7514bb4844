"""The workspace's forms: each names its fields so a bad value says which and why."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from churn.models import FlagOutcome
from clients.models import CONTACT_CHANNELS, Channel, Household, RelationshipLevel

BLANK = [("", _("Choose…"))]


class DateInput(forms.DateInput):
    input_type = "date"


class TaskCompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome"),
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("What came of it?")}),
    )


class TaskSnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=DateInput)

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError(_("Snooze to a day after today."))
        return until


class TaskCreateForm(forms.Form):
    client = forms.IntegerField(widget=forms.HiddenInput, required=False)
    client_no = forms.CharField(label=_("Client number"), max_length=32, required=False)
    title = forms.CharField(label=_("Follow-up"), max_length=200)
    due_date = forms.DateField(label=_("Due"), widget=DateInput)


class FlagResolveForm(forms.Form):
    """No outcome is pre-selected: the advisor must say what happened."""

    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=BLANK + list(FlagOutcome.choices)
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.TextInput
    )


class InteractionForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=BLANK
        + [(c.value, c.label) for c in CONTACT_CHANNELS]
        + [(Channel.SEMINAR.value, Channel.SEMINAR.label)],
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=1440)
    date = forms.DateField(label=_("Date"), widget=DateInput, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    recommended = forms.CharField(
        label=_("Recommended securities"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("codes, comma separated")}),
    )

    def clean_recommended(self):
        text = self.cleaned_data["recommended"].replace("，", ",")
        return [code.strip() for code in text.split(",") if code.strip()]


class RelationshipForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Relationship level"), choices=RelationshipLevel.choices
    )


class HouseholdCreateForm(forms.Form):
    name = forms.CharField(label=_("Household name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Household.Kind.choices)


class HouseholdMemberForm(forms.Form):
    client_no = forms.CharField(label=_("Client number"), max_length=32)


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
