"""Base views of every app's `api/`: a read-only list + detail over one selector.

The queryset comes from the app's selector for the requesting user (so from
`client_scope`), never from a model's manager: a row the user may not see is not in
it, and its detail is a 404 like a row that does not exist.
"""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

#: An id in a URL: digits that fit a 64-bit column (anything else is a JSON 404).
ID_IN_URL = r"[0-9]{1,18}"


class ScopedViewSetMixin:
    """`selector(user=…)` gives the rows; `?ordering=` on the listed fields."""

    selector = None
    lookup_value_regex = ID_IN_URL
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering = ["-id"]
    ordering_fields = ["id"]

    def get_queryset(self):
        return type(self).selector(user=self.request.user)


class ScopedReadViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail of the rows `selector` gives the user."""


def validated(serializer_class, request) -> dict:
    """The request's body checked by `serializer_class` (a 400 when it does not fit)."""
    payload = serializer_class(data=request.data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


def created(serializer) -> Response:
    """201 with the row made, as `serializer` shows it."""
    return Response(serializer.data, status=status.HTTP_201_CREATED)
