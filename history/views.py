"""The audit trail page: admins search every recorded change and event."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients.permissions import may_search_audit_trail

from .selectors import TRACKED, recorded_here, trail_search


class TrailForm(forms.Form):
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    model = forms.ChoiceField(
        label=_("Record type"),
        required=False,
        choices=[("", "—")] + [(m, m) for m in (*TRACKED, "imports.importbatch")],
    )
    object_id = forms.CharField(label=_("Record number"), required=False, max_length=64)
    since = forms.DateField(label=pgettext_lazy("dates", "From"), required=False)
    until = forms.DateField(label=pgettext_lazy("dates", "To"), required=False)


@login_required
def trail_view(request):
    if not may_search_audit_trail(request.user):
        raise PermissionDenied
    form = TrailForm(request.GET or None)
    entries = []
    if form.is_valid():
        entries = trail_search(**form.cleaned_data)
    elif not request.GET:
        entries = trail_search()
    return render(
        request,
        "history/trail.html",
        {"form": form, "entries": entries, "recorded_here": recorded_here()},
    )
