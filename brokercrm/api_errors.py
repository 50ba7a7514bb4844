"""The API's one exception handler (REST_FRAMEWORK EXCEPTION_HANDLER).

Its own module: `rest_framework.views` imports the settings' permission classes
(`brokercrm.drf`), so they cannot import it back.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from imports.messages import message_text
from imports.services.reading import FileRejected
from loyalty.services import PointsError


def exception_handler(exc, context):
    """One answer per kind of domain error, for every API view (REST_FRAMEWORK).

    - not found (a selector's DoesNotExist, e.g. a client not the user's) → 404;
    - refused by the permissions module (Django's PermissionDenied) → 403;
    - a points operation the state does not allow (balance, stock, already done) →
      409, a request that is wrong in itself (`code="invalid"`) → 400;
    - a file the import refuses, or any other domain ValidationError → 400.
    Each answer carries `detail` (the message, in the user's language) and `code`.
    """
    if isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, PointsError):
        code = exc.code or "conflict"
        status = 400 if code == "invalid" else 409
        return Response({"detail": " ".join(exc.messages), "code": code}, status=status)
    elif isinstance(exc, FileRejected):
        return Response(
            {"detail": message_text(exc.code, exc.params), "code": "file_rejected"},
            status=400,
        )
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else " ".join(exc.messages)
        )
        code = getattr(exc, "code", None) or "invalid"  # a dict of errors has none
        return Response({"detail": detail, "code": code}, status=400)
    return drf_exception_handler(exc, context)
