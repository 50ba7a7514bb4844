"""The request's context on every row change it causes, and exports on the record."""

from django.db import connection

from .models import AuditKind
from .services import audit_record


class HistoryMiddleware:
    """After AuthenticationMiddleware.

    On PostgreSQL, a writing request's row changes carry its user and URL
    (pghistory.context); any file a signed-in user downloads (a response sent as an
    attachment: CSV, Excel) is recorded as an export.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if connection.vendor == "postgresql" and request.method not in (
            "GET",
            "HEAD",
            "OPTIONS",
        ):
            import pghistory

            with pghistory.context(
                user=user.pk if signed_in else None,
                username=user.get_username() if signed_in else "",
                url=request.path,
            ):
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        disposition = response.get("Content-Disposition", "")
        if (
            signed_in
            and disposition.startswith("attachment")
            and response.status_code == 200
        ):
            audit_record(
                kind=AuditKind.EXPORT,
                user=request.user,
                detail={
                    "path": request.path,
                    # decoded, so that the trail masks any number in it
                    "query": "&".join(
                        f"{key}={value}" for key, value in request.GET.items()
                    )[:500],
                    "file": disposition.partition("filename=")[2].strip('"')[:200],
                },
                request=request,
            )
        return response
