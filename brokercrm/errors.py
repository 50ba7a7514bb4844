"""Error answers: JSON under /api/ (what an API client parses), the pages elsewhere.

Django's own 400/403/404/500 handlers and django-axes' lockout answer every URL;
under `/api/` they answer `{"detail": …, "code": …}` with the right status instead of
an HTML page, so a caller never has to parse HTML.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def bad_request(request, exception=None):
    if is_api(request):
        return api_error(_("Bad request."), "bad_request", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        message = str(exception) if exception is not None and str(exception) else ""
        return api_error(
            message or _("You do not have permission to perform this action."),
            "permission_denied",
            403,
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return api_error(_("Not found."), "not_found", 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return api_error(_("A server error occurred."), "error", 500)
    return defaults.server_error(request)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE).

    The API gets JSON 429 with Retry-After (seconds until the lock lifts); the pages
    get the "sign-in locked" page, with the same status and header.
    """
    from axes.helpers import (
        get_client_username,
        get_cool_off,
        get_cool_off_iso8601,
        get_failure_limit,
    )

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else None
    if is_api(request):
        response = api_error(
            _(
                "Too many failed sign-ins: this account or address is locked for "
                "a while."
            ),
            "locked_out",
            429,
        )
    else:
        context = {
            "failure_limit": get_failure_limit(request, credentials),
            "username": get_client_username(request, credentials) or "",
        }
        if cool_off:
            context["cooloff_time"] = get_cool_off_iso8601(cool_off)
            context["cooloff_timedelta"] = cool_off
        response = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
