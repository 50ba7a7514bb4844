from rest_framework import serializers

from clients.models import Client


class ClientSerializer(serializers.ModelSerializer):
    advisor = serializers.SlugRelatedField(slug_field="employee_no", read_only=True)
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)

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
        ]
