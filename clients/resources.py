"""django-import-export resources of the book: column mapping and widgets only.

Used by the admin's import/export actions (small files, exports of any list). Big
files go through `imports.services.import_file`, which is orders of magnitude faster.
"""

from import_export import fields, widgets

from advisors.models import Advisor, Branch
from imports.resources import BranchForeignKeyWidget, SafeResource

from .masking import mask_id_number, mask_phone
from .models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Household,
    Interaction,
    Position,
    Price,
    Security,
    Task,
    Trade,
    TradeDay,
)
from .services import trade_days_refresh


def branch_field():
    return fields.Field(
        attribute="branch",
        column_name="branch",
        widget=widgets.ForeignKeyWidget(Branch, "code"),
    )


def account_branch_field():
    """The account's branch, so an account number is looked up in the right branch."""
    return fields.Field(
        attribute="account__branch__code", column_name="branch", readonly=True
    )


def account_field():
    return fields.Field(
        attribute="account",
        column_name="account_no",
        widget=BranchForeignKeyWidget(Account, "account_no"),
    )


def security_field(attribute="security"):
    return fields.Field(
        attribute=attribute,
        column_name="code",
        widget=widgets.ForeignKeyWidget(Security, "code"),
    )


def client_field(attribute="client", column_name="client_no"):
    return fields.Field(
        attribute=attribute,
        column_name=column_name,
        widget=BranchForeignKeyWidget(Client, "client_no"),
    )


def advisor_field(attribute="advisor", column_name="advisor"):
    return fields.Field(
        attribute=attribute,
        column_name=column_name,
        widget=BranchForeignKeyWidget(Advisor, "employee_no"),
    )


class PersonalDataField(fields.Field):
    """An ID or phone number: exported masked (the admin's export and its import
    preview); on import a masked cell, as an export read back holds, changes nothing."""

    def __init__(self, attribute: str, mask):
        super().__init__(attribute=attribute, column_name=attribute)
        self.mask = mask

    def export(self, instance, **kwargs):
        return self.mask(super().export(instance, **kwargs))

    def save(self, instance, row, is_m2m=False, **kwargs):
        if "*" in str(row.get(self.column_name) or ""):
            return
        super().save(instance, row, is_m2m, **kwargs)


class HouseholdResource(SafeResource):
    branch = branch_field()

    class Meta:
        model = Household
        fields = ("id", "branch", "name", "kind")


class ClientResource(SafeResource):
    branch = branch_field()
    advisor = advisor_field()
    referred_by = client_field("referred_by", "referred_by")
    id_number = PersonalDataField("id_number", mask_id_number)
    phone = PersonalDataField("phone", mask_phone)

    class Meta:
        model = Client
        fields = (
            "branch",
            "client_no",
            "name",
            "kind",
            "gender",
            "birth_date",
            "id_number",
            "phone",
            "opened_at",
            "closed_at",
            "advisor",
            "referred_by",
            "investing_since",
            "time_availability",
            "onsite",
            "relationship_level",
            "risk_level",
        )
        import_id_fields = ("branch", "client_no")


class AccountResource(SafeResource):
    branch = branch_field()
    client = client_field()

    class Meta:
        model = Account
        fields = ("branch", "account_no", "client")
        import_id_fields = ("branch", "account_no")


class SecurityResource(SafeResource):
    class Meta:
        model = Security
        fields = ("code", "name", "kind", "industry", "listed_on")
        import_id_fields = ("code",)


class PriceResource(SafeResource):
    security = security_field()

    class Meta:
        model = Price
        fields = ("date", "security", "close")
        import_id_fields = ("security", "date")


class TradeResource(SafeResource):
    """Trades; the per-account daily totals are re-totalled in the same transaction."""

    branch = branch_field()
    account = account_field()
    security = security_field()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.touched: dict[int, set] = {}  # branch id -> trade dates written

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        if instance.pk:  # a corrected trade_date moves the trade off its old day
            old = Trade.objects.filter(pk=instance.pk).values_list(
                "trade_date", flat=True
            )
            self.touched.setdefault(instance.branch_id, set()).update(old)

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        self.touched.setdefault(instance.branch_id, set()).add(instance.trade_date)

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        for branch_id, dates in self.touched.items():
            trade_days_refresh(branch_id=branch_id, dates=dates)
        self.touched = {}

    class Meta:
        model = Trade
        fields = (
            "branch",
            "trade_id",
            "trade_date",
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
        )
        import_id_fields = ("branch", "trade_id")


class TradeDayResource(SafeResource):
    branch = account_branch_field()
    account = account_field()

    class Meta:
        model = TradeDay
        fields = (
            "branch",
            "account",
            "date",
            "trades",
            "commission",
            "amount",
            "buy_amount",
        )
        import_id_fields = ("account", "date")


class PositionResource(SafeResource):
    branch = account_branch_field()
    account = account_field()
    security = security_field()

    class Meta:
        model = Position
        fields = (
            "branch",
            "date",
            "account",
            "security",
            "quantity",
            "cost_price",
            "market_value",
        )
        import_id_fields = ("account", "date", "security")


class BalanceResource(SafeResource):
    branch = account_branch_field()
    account = account_field()

    class Meta:
        model = Balance
        fields = ("branch", "date", "account", "cash", "market_value", "total_assets")
        import_id_fields = ("account", "date")


class CashFlowResource(SafeResource):
    branch = branch_field()
    account = account_field()

    class Meta:
        model = CashFlow
        fields = ("branch", "flow_id", "date", "account", "type", "amount")
        import_id_fields = ("branch", "flow_id")


class InteractionResource(SafeResource):
    branch = branch_field()
    client = client_field()
    advisor = advisor_field()
    recommended = fields.Field(
        attribute="recommended",
        column_name="recommended_codes",
        widget=widgets.ManyToManyWidget(Security, separator=";", field="code"),
    )

    class Meta:
        model = Interaction
        fields = (
            "branch",
            "interaction_id",
            "date",
            "client",
            "advisor",
            "channel",
            "minutes",
            "summary",
            "recommended",
        )
        import_id_fields = ("branch", "interaction_id")


class FeedbackResource(SafeResource):
    branch = branch_field()
    client = client_field()

    class Meta:
        model = Feedback
        fields = (
            "branch",
            "feedback_id",
            "date",
            "client",
            "topic",
            "score",
            "comment",
        )
        import_id_fields = ("branch", "feedback_id")


class TaskResource(SafeResource):
    branch = branch_field()
    client = client_field()
    owner = advisor_field("owner", "owner")

    class Meta:
        model = Task
        fields = (
            "id",
            "branch",
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
        )
