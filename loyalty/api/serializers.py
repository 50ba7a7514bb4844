from rest_framework import serializers

from brokercrm.api_kit import (
    IdField,
    ModelSerializer,
    StrictCharField,
    StrictIntegerField,
)
from loyalty.models import (
    ADJUSTMENT_MAX_POINTS,
    CatalogueItem,
    PointsAdjustment,
    PointsEntry,
    Redemption,
)


class CatalogueItemSerializer(ModelSerializer):
    class Meta:
        model = CatalogueItem
        fields = [
            "id",
            "code",
            "name",
            "description",
            "points_price",
            "free_tiers",
            "stock",
        ]


class PointsEntrySerializer(ModelSerializer):
    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "client",
            "delta",
            "kind",
            "dated",
            "expires_at",
            "source_type",
            "source_id",
            "note",
            "created_at",
        ]


class RedemptionSerializer(ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Redemption
        fields = [
            "id",
            "client",
            "item",
            "quantity",
            "points",
            "value_cny",
            "tier",
            "dated",
            "idempotency_key",
            "created_at",
        ]


class RedemptionRequestSerializer(serializers.Serializer):
    """What a client of the API sends; the key may also come as `Idempotency-Key`."""

    client = IdField()
    item = IdField()
    quantity = StrictIntegerField(min_value=1, max_value=100, default=1)
    idempotency_key = StrictCharField(max_length=200, required=False)


class PointsAdjustmentSerializer(ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PointsAdjustment
        fields = [
            "id",
            "client",
            "delta",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "entry",
        ]
        read_only_fields = [
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "entry",
        ]


class AdjustmentRequestSerializer(serializers.Serializer):
    """A client id, not a lookup: an unseen client is 404 like everywhere else."""

    client = IdField()
    delta = StrictIntegerField(
        min_value=-ADJUSTMENT_MAX_POINTS, max_value=ADJUSTMENT_MAX_POINTS
    )
    reason = StrictCharField(max_length=500)


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)
