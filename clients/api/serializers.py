"""The book's rows as the API shows them (read-only but for the request serializers)."""

from rest_framework import serializers

from advisors.models import Advisor
from brokercrm.api_kit import (
    IdField,
    ModelSerializer,
    StrictCharField,
    StrictDateField,
    StrictIntegerField,
)
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Channel,
    Feedback,
    FeedbackTopic,
    Household,
    Interaction,
    Position,
    Task,
    Trade,
)


class AdvisorSerializer(ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    team = serializers.SlugRelatedField(
        slug_field="name", read_only=True, allow_null=True
    )

    class Meta:
        model = Advisor
        fields = ["id", "branch", "employee_no", "name", "team", "role", "is_active"]
        read_only_fields = fields


class AccountSerializer(ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Account
        fields = ["id", "branch", "account_no", "client"]
        read_only_fields = fields


class AccountRowSerializer(ModelSerializer):
    """A row of an account (trade, position, balance, cash flow): the account by its
    number and the id of the client holding it."""

    account = serializers.SlugRelatedField(slug_field="account_no", read_only=True)
    client = serializers.IntegerField(source="account.client_id", read_only=True)


class TradeSerializer(AccountRowSerializer):
    security = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Trade
        fields = [
            "id",
            "trade_id",
            "trade_date",
            "client",
            "account",
            "security",
            "side",
            "quantity",
            "price",
            "amount",
            "commission",
            "stamp_tax",
            "transfer_fee",
            "other_fees",
        ]
        read_only_fields = fields


class PositionSerializer(AccountRowSerializer):
    security = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Position
        fields = [
            "id",
            "date",
            "client",
            "account",
            "security",
            "quantity",
            "cost_price",
            "market_value",
        ]
        read_only_fields = fields


class BalanceSerializer(AccountRowSerializer):
    class Meta:
        model = Balance
        fields = [
            "id",
            "date",
            "client",
            "account",
            "cash",
            "market_value",
            "total_assets",
        ]
        read_only_fields = fields


class CashFlowSerializer(AccountRowSerializer):
    class Meta:
        model = CashFlow
        fields = ["id", "flow_id", "date", "client", "account", "type", "amount"]
        read_only_fields = fields


class InteractionSerializer(ModelSerializer):
    advisor = serializers.SlugRelatedField(
        slug_field="employee_no", read_only=True, allow_null=True
    )
    recommended = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Interaction
        fields = [
            "id",
            "interaction_id",
            "date",
            "client",
            "advisor",
            "channel",
            "minutes",
            "summary",
            "recommended",
        ]
        read_only_fields = fields


class FeedbackSerializer(ModelSerializer):
    class Meta:
        model = Feedback
        fields = ["id", "feedback_id", "date", "client", "topic", "score", "comment"]
        read_only_fields = fields


class TaskSerializer(ModelSerializer):
    owner = serializers.SlugRelatedField(
        slug_field="employee_no", read_only=True, allow_null=True
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "client",
            "owner",
            "kind",
            "code",
            "title",
            "detail",
            "due_date",
            "status",
            "outcome",
            "raised_on",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class HouseholdSerializer(ModelSerializer):
    branch = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = Household
        fields = ["id", "branch", "name", "kind", "members"]
        read_only_fields = fields

    def get_members(self, household) -> list[int]:
        """The ids of the members the user may see."""
        visible = self.context.get("visible_members", {})
        return sorted(visible.get(household.pk, []))


# --- what the API's writes take ---------------------------------------------------------


class InteractionRequestSerializer(serializers.Serializer):
    """A contact the call centre (or an advisor) logs for a client."""

    client = IdField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    minutes = StrictIntegerField(min_value=0, max_value=24 * 60)
    summary = StrictCharField(max_length=4000, required=False, allow_blank=True)
    recommended = serializers.ListField(
        child=StrictCharField(max_length=32), required=False, max_length=50
    )
    date = StrictDateField(required=False)


class FeedbackRequestSerializer(serializers.Serializer):
    client = IdField()
    topic = serializers.ChoiceField(choices=FeedbackTopic.choices)
    score = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=4000, required=False, allow_blank=True)
    date = StrictDateField(required=False)


class TaskRequestSerializer(serializers.Serializer):
    client = IdField()
    title = StrictCharField(max_length=200)
    due_date = StrictDateField()
    detail = StrictCharField(max_length=4000, required=False, allow_blank=True)


class TaskCompleteSerializer(serializers.Serializer):
    outcome = StrictCharField(max_length=2000)


class TaskSnoozeSerializer(serializers.Serializer):
    until = StrictDateField()


class HouseholdRequestSerializer(serializers.Serializer):
    """A new household grouping clients the user may work (of one branch)."""

    name = StrictCharField(max_length=200)
    kind = serializers.ChoiceField(
        choices=Household.Kind.choices, default=Household.Kind.FAMILY
    )
    clients = serializers.ListField(child=IdField(), min_length=1, max_length=100)


class HouseholdMemberSerializer(serializers.Serializer):
    client = IdField()
