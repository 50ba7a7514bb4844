"""Points pages: thin doors onto the loyalty services and selectors.

The client panel is an htmx fragment loaded into the client page; every view scopes the
client through `clients.selectors.client_get`, so a client that is not the user's is 404.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from advisors.selectors import branch_list
from brokercrm.doors import or_404
from clients import permissions
from clients.selectors import client_get
from tiers.labels import code_label

from . import selectors, services
from .catalogue import item_name
from .forms import AdjustmentForm, RedeemForm, ReverseForm


def _panel(
    request,
    client,
    *,
    redeem_form=None,
    adjust_form=None,
    message=None,
    error=None,
    status=200,
):
    user = request.user
    items = selectors.catalogue_list(branch_id=client.branch_id)
    context = {
        "client": client,
        "balance": selectors.points_balance(client=client),
        "entries": selectors.points_entry_list(user=user, client=client)[:30],
        "redemptions": selectors.redemption_list(user=user, client=client)[:10],
        "tier": code_label(services.client_tier(client), "tier"),
        "may_redeem": permissions.may_redeem_for(user, client),
        "is_manager": permissions.may_adjust_points(user, client),
        "redeem_form": redeem_form or RedeemForm(items=items),
        "adjust_form": adjust_form or AdjustmentForm(),
        "pending": selectors.adjustment_list(user=user).filter(client=client),
        "message": message,
        "error": error,
    }
    return render(request, "loyalty/client_points.html", context, status=status)


def _answer(request, client, **kwargs):
    """htmx gets the refreshed panel; a plain form post goes back to the client page."""
    if request.headers.get("HX-Request"):
        return _panel(request, client, **kwargs)
    if kwargs.get("error"):
        messages.error(request, kwargs["error"])
    elif kwargs.get("message"):
        messages.success(request, kwargs["message"])
    return redirect("client-detail", pk=client.pk)


def _error_text(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do this.")


@login_required
def client_points(request, pk: int):
    """The client's points panel: balance, history, redeem form (htmx fragment)."""
    client = or_404(client_get, user=request.user, pk=pk)
    return _panel(request, client)


@login_required
@require_POST
def client_redeem(request, pk: int):
    client = or_404(client_get, user=request.user, pk=pk)
    items = selectors.catalogue_list(branch_id=client.branch_id)
    form = RedeemForm(request.POST, items=items)
    if not form.is_valid():
        return _panel(request, client, redeem_form=form, status=400)
    try:
        redemption = services.redemption_create(
            user=request.user,
            client=client,
            item=form.cleaned_data["item"],
            quantity=form.cleaned_data["quantity"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except (ValidationError, PermissionDenied) as exc:
        return _answer(request, client, error=_error_text(exc))
    return _answer(
        request,
        client,
        message=_("Redeemed %(item)s for %(points)d points.")
        % {"item": item_name(redemption.item), "points": redemption.points},
    )


@login_required
@require_POST
def client_adjust(request, pk: int):
    client = or_404(client_get, user=request.user, pk=pk)
    form = AdjustmentForm(request.POST)
    if not form.is_valid():
        return _panel(request, client, adjust_form=form, status=400)
    try:
        adjustment = services.adjustment_request(
            user=request.user,
            client=client,
            delta=form.cleaned_data["delta"],
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, PermissionDenied) as exc:
        return _answer(request, client, error=_error_text(exc))
    if adjustment.status == "pending":
        text = _("The adjustment waits for a second manager's approval.")
    else:
        text = _("Adjusted by %(delta)+d points.") % {"delta": adjustment.delta}
    return _answer(request, client, message=text)


@login_required
@require_POST
def adjustment_decide(request, pk: int, decision: str):
    adjustment = get_object_or_404(
        selectors.adjustment_list(user=request.user, status=None), pk=pk
    )
    client = adjustment.client
    if decision not in ("approve", "reject"):
        raise Http404
    try:
        if decision == "approve":
            services.adjustment_approve(user=request.user, adjustment=adjustment)
            text = _("Adjustment approved and applied.")
        else:
            services.adjustment_reject(user=request.user, adjustment=adjustment)
            text = _("Adjustment rejected.")
    except (ValidationError, PermissionDenied) as exc:
        return _answer(request, client, error=_error_text(exc))
    return _answer(request, client, message=text)


@login_required
@require_POST
def entry_reverse(request, pk: int):
    entry = get_object_or_404(selectors.points_entry_list(user=request.user), pk=pk)
    client = entry.client
    form = ReverseForm(request.POST)
    if not form.is_valid():
        return _answer(request, client, error=_("Say why the entry is reversed."))
    try:
        services.entry_reverse(
            user=request.user, entry=entry, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as exc:
        return _answer(request, client, error=_error_text(exc))
    return _answer(request, client, message=_("Entry reversed."))


@login_required
def analytics(request):
    """Loyalty analytics for managers (SPEC §4), over the clients they may see."""
    if not permissions.may_see_branch_kpis(request.user):
        raise PermissionDenied
    try:
        end = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = timezone.localdate()
    try:
        days = max(1, min(int(request.GET.get("days", 365)), 3660))
    except ValueError:
        days = 365
    show_branch = permissions.sees_every_branch(request.user)
    branch = request.GET.get("branch", "") if show_branch else ""
    report = selectors.loyalty_analytics(
        user=request.user, end=end, days=days, branch=branch
    )
    pending = selectors.adjustment_list(user=request.user, branch=branch)[:50]
    return render(
        request,
        "loyalty/analytics.html",
        {
            "report": report,
            "days": days,
            "end": end,
            "pending": pending,
            "show_branch": show_branch,
            "branch": branch,
            "branch_choices": branch_list() if show_branch else [],
        },
    )
