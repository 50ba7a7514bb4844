"""Clients through the API: the same scope and FilterSet as the book page."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets

from brokercrm.api_kit import etag_response
from workspace.filters import ClientFilterSet
from workspace.selectors import book_list

from .serializers import ClientSerializer


class ClientViewSet(viewsets.ReadOnlyModelViewSet):
    """The clients the token's user may see, with their current scores."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilterSet
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return book_list(user=self.request.user).order_by("client_no", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                location=OpenApiParameter.HEADER,
                required=False,
                description="The ETag of a copy you hold: 304 when it is still current.",
            )
        ],
        responses={
            200: ClientSerializer,
            304: OpenApiResponse(description="Not modified: your copy is current."),
        },
    )
    def retrieve(self, request, *args, **kwargs):
        return etag_response(request, self.get_serializer(self.get_object()).data)
