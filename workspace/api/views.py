"""Clients through the API: the same scope, FilterSet and keyset pages as the book."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from brokercrm.api_kit import (
    IdFilter,
    LinkedPages,
    StrictBooleanFilter,
    StrictFilterSet,
    etag_response,
    page_size_from,
)
from brokercrm.api_views import ID_IN_URL
from clients.services import relationship_level_set
from loyalty.selectors import with_points_balance
from tiers.api.serializers import ClientScoreSerializer
from tiers.selectors import client_score_history
from workspace.filters import ClientFilterSet
from workspace.selectors import (
    book_list,
    book_window,
    cursor_valid,
    saved_filter_list,
)
from workspace.services import saved_filter_delete, saved_filter_save

from .serializers import (
    ClientSerializer,
    RelationshipSerializer,
    SavedFilterRequestSerializer,
    SavedFilterSerializer,
)


class ClientApiFilterSet(StrictFilterSet, ClientFilterSet):
    """The book's FilterSet, with the API's strict inputs for ids and yes/no."""

    advisor = IdFilter(field_name="advisor_id", label="Advisor id")
    is_open = StrictBooleanFilter(method="open_now", label="Open accounts only")

    def open_now(self, queryset, name, value):
        if value in ("", None):
            return queryset
        return super().open_now(queryset, name, value == "true")


class BookPagination(LinkedPages):
    """The book's keyset pages (`workspace.selectors.book_window`): any sort, nulls
    last, `next` and `previous` links."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = page_size_from(request, default=50)
        ordering = request.query_params.get("ordering")
        cursor = request.query_params.get("cursor")
        if cursor is not None and not cursor_valid(cursor, ordering=ordering):
            raise ValidationError({"cursor": _("Invalid cursor.")})
        rows, self.next_cursor, self.previous_cursor = book_window(
            queryset, ordering=ordering, cursor=cursor, size=size
        )
        return rows


class ClientViewSet(viewsets.ReadOnlyModelViewSet):
    """The clients the token's user may see, with their current scores and points."""

    serializer_class = ClientSerializer
    filterset_class = ClientApiFilterSet
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    pagination_class = BookPagination
    lookup_value_regex = ID_IN_URL

    def get_queryset(self):
        return with_points_balance(book_list(user=self.request.user)).order_by(
            "client_no", "pk"
        )

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

    @extend_schema(filters=False, responses={200: ClientScoreSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def scores(self, request, pk=None):
        """The client's scores in its last 30 finished runs, newest first."""
        client = self.get_object()
        history = client_score_history(user=request.user, client=client)
        return Response(ClientScoreSerializer(history, many=True).data)

    @extend_schema(
        filters=False,
        request=RelationshipSerializer,
        responses={200: ClientSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def relationship(self, request, pk=None):
        """Set the relationship level the advisor actually keeps with the client."""
        payload = RelationshipSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        relationship_level_set(
            user=request.user,
            client_id=self.get_object().pk,
            level=payload.validated_data["level"],
        )
        return Response(self.get_serializer(self.get_object()).data)


class SavedFilterViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The user's own saved filters of the book (a query string for /api/v1/clients/)."""

    serializer_class = SavedFilterSerializer
    lookup_value_regex = ID_IN_URL
    filter_backends: list = []

    def get_queryset(self):
        return saved_filter_list(user=self.request.user)

    @extend_schema(
        request=SavedFilterRequestSerializer, responses={201: SavedFilterSerializer}
    )
    def create(self, request, *args, **kwargs):
        payload = SavedFilterRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved = saved_filter_save(
            user=request.user,
            name=payload.validated_data["name"],
            query=payload.validated_data.get("query", ""),
        )
        return Response(
            SavedFilterSerializer(saved).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request, *args, **kwargs):
        saved_filter_delete(user=request.user, filter_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
