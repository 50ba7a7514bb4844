from rest_framework import serializers

from brokercrm.api_kit import ModelSerializer, StrictCharField
from churn.models import ChurnFlag, FlagOutcome


class ChurnFlagSerializer(ModelSerializer):
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ChurnFlag
        fields = [
            "id",
            "client",
            "code",
            "status",
            "raised_on",
            "run",
            "facts",
            "reason",
            "suggested_action",
            "outcome",
            "note",
            "created_at",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields


class FlagResolveSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=FlagOutcome.choices)
    note = StrictCharField(max_length=2000, required=False, allow_blank=True)
