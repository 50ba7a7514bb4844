from rest_framework import serializers

from clients.models import Client
from workspace.selectors import SCORE_FIELDS


class ClientSerializer(serializers.ModelSerializer):
    """A client with the scores of its branch's current run (null before any run)."""

    advisor = serializers.SlugRelatedField(slug_field="employee_no", read_only=True)
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
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

    class Meta:
        model = Client
        fields = [
            "id",
            "branch",
            "client_no",
            "name",
            "kind",
            "gender",
            "opened_at",
            "closed_at",
            "advisor",
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
        ]
        read_only_fields = fields
