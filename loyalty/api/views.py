"""The points API: the same services and scope as the client page (SPEC §6)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from brokercrm.api_kit import IdFilter, StrictFilterSet
from brokercrm.api_views import ScopedViewSetMixin
from clients.selectors import client_get
from loyalty import selectors, services
from loyalty.models import CatalogueItem, PointsEntry

from .serializers import (
    AdjustmentRequestSerializer,
    CatalogueItemSerializer,
    PointsAdjustmentSerializer,
    PointsEntrySerializer,
    ReasonSerializer,
    RedemptionRequestSerializer,
    RedemptionSerializer,
)


class EntryFilterSet(StrictFilterSet):
    client = IdFilter(field_name="client_id", label="Client id")

    class Meta:
        model = PointsEntry
        fields: list[str] = []


class CatalogueViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Items offered at the user's branch."""

    serializer_class = CatalogueItemSerializer
    queryset = CatalogueItem.objects.none()  # for the schema; requests use the branch's
    ordering = ["points_price", "id"]
    ordering_fields = ["id", "points_price"]

    def get_queryset(self):
        return selectors.catalogue_list(
            branch_id=getattr(self.request.user, "branch_id", None)
        )


class PointsEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Ledger entries of the clients the user may see; `?client=ID` for one client."""

    serializer_class = PointsEntrySerializer
    filterset_class = EntryFilterSet
    ordering = ["-dated", "-id"]
    ordering_fields = ["id", "dated"]

    @extend_schema(request=ReasonSerializer, responses={201: PointsEntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """A manager corrects an entry by appending its opposite."""
        entry = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reversal = services.entry_reverse(
            user=request.user, entry=entry, reason=payload.validated_data["reason"]
        )
        return Response(
            PointsEntrySerializer(reversal).data, status=status.HTTP_201_CREATED
        )

    def get_queryset(self):
        return selectors.points_entry_list(user=self.request.user)


class RedemptionViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Redemptions; POST redeems through `redemption_create` with an idempotency key.

    The same key and payload again answers with the first redemption; the same key
    with another payload, or too few points, is 409 with a message.
    """

    serializer_class = RedemptionSerializer
    ordering = ["-created_at", "-id"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return selectors.redemption_list(user=self.request.user)

    @extend_schema(
        request=RedemptionRequestSerializer,
        responses={201: RedemptionSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location="header",
                description="One key per redemption: a retry with it redeems once.",
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        payload = RedemptionRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        key = request.headers.get("Idempotency-Key") or data.get("idempotency_key")
        if key and (len(key) > 200 or not key.isprintable()):
            raise ApiValidationError(
                {"idempotency_key": _("At most 200 printable characters.")}
            )
        if not key:
            raise ApiValidationError(
                {"idempotency_key": _("An idempotency key is required.")}
            )
        client = client_get(user=request.user, pk=data["client"])
        item = get_object_or_404(
            selectors.catalogue_list(branch_id=client.branch_id), pk=data["item"]
        )
        redemption = services.redemption_create(
            user=request.user,
            client=client,
            item=item,
            quantity=data["quantity"],
            idempotency_key=key,
        )
        return Response(
            RedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED
        )


class PointsAdjustmentViewSet(
    ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Manual adjustments: a manager requests; a large one waits for another manager."""

    serializer_class = PointsAdjustmentSerializer
    ordering = ["-requested_at", "-id"]
    ordering_fields = ["id", "requested_at"]

    def get_queryset(self):
        return selectors.adjustment_list(user=self.request.user, status=None)

    @extend_schema(
        request=AdjustmentRequestSerializer,
        responses={201: PointsAdjustmentSerializer},
    )
    def create(self, request, *args, **kwargs):
        payload = AdjustmentRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        client = client_get(user=request.user, pk=data["client"])
        adjustment = services.adjustment_request(
            user=request.user,
            client=client,
            delta=data["delta"],
            reason=data["reason"],
        )
        return Response(
            PointsAdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: PointsAdjustmentSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """A second manager applies a pending adjustment."""
        return self._decide(services.adjustment_approve)

    @extend_schema(request=None, responses={200: PointsAdjustmentSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """A manager turns a pending adjustment down (the requester may withdraw it)."""
        return self._decide(services.adjustment_reject)

    def _decide(self, service):
        adjustment = service(user=self.request.user, adjustment=self.get_object())
        return Response(PointsAdjustmentSerializer(adjustment).data)
