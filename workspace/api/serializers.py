from rest_framework import serializers

from brokercrm.api_kit import ModelSerializer, StrictCharField
from clients.masking import mask_id_number, mask_phone
from clients.models import Client, RelationshipLevel
from workspace.models import SavedFilter
from workspace.selectors import SCORE_FIELDS


class ClientSerializer(ModelSerializer):
    """A client with the scores of its branch's current run (null before any run).

    Owner, branch, scores and points are read-only here: the owner changes through a
    manager's reassignment, the relationship level through its own action, points
    through the loyalty ledger. ID and phone numbers are always masked (SPEC §7).
    """

    advisor = serializers.SlugRelatedField(
        slug_field="employee_no", read_only=True, allow_null=True
    )
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    tier = serializers.CharField(read_only=True, allow_null=True)
    value_score = serializers.FloatField(read_only=True, allow_null=True)
    contribution_score = serializers.FloatField(read_only=True, allow_null=True)
    maturity_stage = serializers.CharField(read_only=True, allow_null=True)
    segment = serializers.CharField(read_only=True, allow_null=True)
    relationship_recommended = serializers.CharField(read_only=True, allow_null=True)
    relationship_fit = serializers.CharField(read_only=True, allow_null=True)
    contact_overdue = serializers.BooleanField(read_only=True, allow_null=True)
    risk_appetite = serializers.CharField(read_only=True, allow_null=True)
    suitability_warning = serializers.BooleanField(read_only=True, allow_null=True)
    trading_ability = serializers.CharField(read_only=True, allow_null=True)
    loyalty_type = serializers.CharField(read_only=True, allow_null=True)
    experience = serializers.CharField(read_only=True, allow_null=True)
    churn_risk = serializers.FloatField(read_only=True, allow_null=True)
    flag_codes = serializers.CharField(read_only=True, allow_null=True)
    alert_codes = serializers.CharField(read_only=True, allow_null=True)
    assets = serializers.FloatField(read_only=True, allow_null=True)
    last_contact = serializers.DateField(read_only=True, allow_null=True)
    points_balance = serializers.IntegerField(read_only=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "branch",
            "client_no",
            "name",
            "kind",
            "gender",
            "id_number",
            "phone",
            "opened_at",
            "closed_at",
            "advisor",
            "household",
            "relationship_level",
            "risk_level",
            "time_availability",
            "onsite",
            "investing_since",
            *SCORE_FIELDS,
            "flag_codes",
            "alert_codes",
            "assets",
            "last_contact",
            "points_balance",
        ]
        read_only_fields = fields

    def get_id_number(self, client) -> str:
        """Masked: `110***********1234`."""
        return mask_id_number(client.id_number)

    def get_phone(self, client) -> str:
        """Masked: `138****5678`."""
        return mask_phone(client.phone)


class RelationshipSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=RelationshipLevel.choices)


class SavedFilterSerializer(ModelSerializer):
    class Meta:
        model = SavedFilter
        fields = ["id", "name", "query", "created_at"]
        read_only_fields = ["id", "created_at"]


class SavedFilterRequestSerializer(serializers.Serializer):
    name = StrictCharField(max_length=80)
    query = StrictCharField(max_length=2000, required=False, allow_blank=True)
