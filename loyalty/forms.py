"""Forms of the points pages: redeem an item, adjust a balance, reverse an entry."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CatalogueItem


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
            self.fields["item"].label_from_instance = lambda item: (
                f"{item.name} · {item.points_price} "
                + str(_("points"))
                + (
                    f" · {', '.join(item.free_tiers)} " + str(_("free"))
                    if item.free_tiers
                    else ""
                )
                + (
                    f" · {item.stock} " + str(_("left"))
                    if item.stock is not None
                    else ""
                )
            )


class AdjustmentForm(forms.Form):
    delta = forms.IntegerField(label=_("Points (+/−)"))
    reason = forms.CharField(max_length=500, label=_("Reason"))


class ReverseForm(forms.Form):
    reason = forms.CharField(max_length=500, label=_("Reason"))
