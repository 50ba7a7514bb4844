"""Forms of the points pages: redeem an item, adjust a balance, reverse an entry."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from tiers.labels import code_label

from .catalogue import item_name
from .models import ADJUSTMENT_MAX_POINTS, CatalogueItem


class RedeemForm(forms.Form):
    item = forms.ModelChoiceField(
        queryset=CatalogueItem.objects.none(), label=_("Item")
    )
    quantity = forms.IntegerField(
        min_value=1, max_value=100, initial=1, label=_("Quantity")
    )
    # A fresh key per rendered form: a double click or a retried post redeems once.
    idempotency_key = forms.CharField(max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args, items=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        if items is not None:
            self.fields["item"].queryset = items
            self.fields["item"].label_from_instance = item_label


def item_label(item: CatalogueItem) -> str:
    """ "Level-2 行情 · 300 points · free for large, special · 5 left", translatable."""
    parts = [item_name(item), _("%(points)s points") % {"points": item.points_price}]
    if item.free_tiers:
        tiers = ", ".join(str(code_label(tier, "tier")) for tier in item.free_tiers)
        parts.append(_("free for %(tiers)s") % {"tiers": tiers})
    if item.stock is not None:
        parts.append(_("%(stock)s left") % {"stock": item.stock})
    return " · ".join(str(part) for part in parts)


class AdjustmentForm(forms.Form):
    delta = forms.IntegerField(
        label=_("Points (+/−)"),
        min_value=-ADJUSTMENT_MAX_POINTS,
        max_value=ADJUSTMENT_MAX_POINTS,
    )
    reason = forms.CharField(max_length=500, label=_("Reason"))


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("Reason"))
