"""Pages of the churn app: thin doors onto the services and reports."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from advisors.models import Branch
from brokercrm.doors import or_404
from clients import permissions

from .forms import ChurnFlagResolveForm
from .reports import model_report
from .selectors import churn_flag_get
from .services import churn_flag_resolve


@login_required
@require_POST
def flag_resolve(request, pk: int):
    """Resolve a flag from the client page; back to the client either way."""
    flag = or_404(churn_flag_get, user=request.user, pk=pk)
    form = ChurnFlagResolveForm(request.POST)
    if form.is_valid():
        try:
            churn_flag_resolve(
                user=request.user,
                flag_id=flag.pk,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("Flag resolved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose an outcome."))
    return redirect("client-detail", pk=flag.client_id)


@login_required
def model_page(request):
    """The branch's churn model against the hand weights (managers, admins, head office)."""
    user = request.user
    if not permissions.may_see_branch_kpis(user):
        raise PermissionDenied
    if permissions.sees_every_branch(user):
        branches = list(Branch.objects.order_by("code"))
    else:
        branches = [b for b in [user.branch] if b is not None]
    code = request.GET.get("branch")
    branch = next((b for b in branches if b.code == code), None)
    if branch is None:
        branch = branches[0] if branches else None
    report = model_report(branch_id=branch.pk) if branch else None
    return render(
        request,
        "churn/model.html",
        {"branch": branch, "branches": branches, "report": report},
    )
