from rest_framework import serializers

from brokercrm.api_kit import StrictCharField


class TokenRequestSerializer(serializers.Serializer):
    """A service account's sign-in: its username and password, and a token name."""

    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=128, trim_whitespace=False)
    name = StrictCharField(max_length=80, required=False, default="service")


class TokenSerializer(serializers.Serializer):
    """A new token: the key is in this answer only."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    key = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
