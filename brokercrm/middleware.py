"""Request guards every door shares: read-only roles, and hostile query strings."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from clients.permissions import may_write

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class ReadOnlyRolesMiddleware:
    """Head office (anyone `may_write` refuses) changes nothing, on any page.

    Each service checks its own rule too; this is the floor under every page, so a
    new form cannot forget it. Signing in and out, the language and one's own
    password stay open (`READ_ONLY_USERS_MAY_POST`, view names).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or may_write(user):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in settings.READ_ONLY_USERS_MAY_POST:
            return None
        raise PermissionDenied


def _hostile(value: str) -> bool:
    # NUL cannot be stored or searched in PostgreSQL text; lone surrogates come from
    # undecodable bytes and cannot be encoded for the database either.
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable(name: str) -> str:
    return name.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


class RejectHostileQueryMiddleware:
    """A query string with NUL bytes or undecodable characters is a 400, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "")
        if raw:
            for key, values in request.GET.lists():
                if _hostile(key) or any(_hostile(value) for value in values):
                    message = _(
                        "The parameter “%(name)s” contains characters that are not allowed."
                    ) % {"name": _printable(key)[:50]}
                    if request.path.startswith("/api/"):
                        return JsonResponse(
                            {"detail": message, "code": "invalid"}, status=400
                        )
                    return HttpResponseBadRequest(
                        message, content_type="text/plain; charset=utf-8"
                    )
        return self.get_response(request)
