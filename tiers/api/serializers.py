from rest_framework import serializers

from brokercrm.api_kit import ModelSerializer
from tiers.models import ClientScore, ScoreRun


class ScoreRunSerializer(ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ScoreRun
        fields = [
            "id",
            "branch",
            "date",
            "policy_version",
            "status",
            "clients",
            "open_clients",
            "flags_raised",
            "alerts",
            "tasks_created",
            "started_at",
            "finished_at",
            "duration_s",
        ]
        read_only_fields = fields


class ClientScoreSerializer(ModelSerializer):
    """One run's scores of a client (SPEC §3), as its history shows them."""

    class Meta:
        model = ClientScore
        fields = [
            "run",
            "date",
            "is_open",
            "tier",
            "value_score",
            "contribution_score",
            "maturity_stage",
            "segment",
            "relationship_recommended",
            "relationship_fit",
            "contact_overdue",
            "risk_appetite",
            "suitability_warning",
            "trading_ability",
            "loyalty_type",
            "experience",
            "churn_risk",
            "churn_flags",
            "alerts",
        ]
        read_only_fields = fields
