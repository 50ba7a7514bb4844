"""Pages of the churn flags: thin doors onto the services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from brokercrm.doors import or_404

from .forms import ChurnFlagResolveForm
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
