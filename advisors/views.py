"""The signed-in user's own account pages: their API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import ApiToken
from .selectors import api_token_list
from .services import api_token_create, api_token_revoke


@login_required
def tokens_view(request):
    """Make, name, see the last use of and revoke one's own API tokens.

    A new token's key is shown on the answer to the POST that made it, once: only
    its hash is kept, so it cannot be shown again.
    """
    new_key = new_token = None
    error = ""
    if request.method == "POST":
        try:
            new_token, new_key = api_token_create(
                user=request.user, name=request.POST.get("name", "")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    response = render(
        request,
        "advisors/tokens.html",
        {
            "tokens": api_token_list(user=request.user),
            "new_key": new_key,
            "new_token": new_token,
            "error": error,
        },
        status=400 if error else 200,
    )
    # The key must not stay in any cache (the browser's back button included).
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke_view(request, pk: int):
    try:
        token = api_token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("account-tokens")
