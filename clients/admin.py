from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from brokercrm.admin import BranchScopedAdmin
from imports.admin import (
    BranchExportMixin,
    BranchFileImportMixin,
    BranchImportExportMixin,
)

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
from .resources import (
    AccountResource,
    BalanceResource,
    CashFlowResource,
    ClientResource,
    FeedbackResource,
    HouseholdResource,
    InteractionResource,
    PositionResource,
    PriceResource,
    SecurityResource,
    TaskResource,
    TradeDayResource,
    TradeResource,
)
from .selectors import personal_data_match


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0
    fields = ["account_no"]


@admin.register(Client)
class ClientAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "clients"
    resource_classes = [ClientResource]
    list_display = [
        "client_no",
        "name",
        "kind",
        "advisor",
        "opened_at",
        "closed_at",
        "relationship_level",
        "risk_level",
    ]
    list_filter = ["branch", "kind", "relationship_level", "risk_level", "onsite"]
    search_fields = ["client_no", "name", "accounts__account_no"]
    list_select_related = ["advisor"]
    raw_id_fields = ["advisor", "referred_by", "household"]
    date_hierarchy = "opened_at"
    inlines = [AccountInline]
    # Personal data is shown masked and not edited here (the client file feeds it);
    # the full value is revealed, with a reason, on the client's page.
    exclude = ["id_number", "phone"]
    readonly_fields = ["masked_id_number", "masked_phone"]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description=_("Phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def get_search_results(self, request, queryset, search_term):
        """Also an exact phone or ID number, through its keyed hash."""
        found, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if search_term.strip():
            found |= queryset.filter(personal_data_match(search_term.strip()))
        return found, may_have_duplicates


@admin.register(Household)
class HouseholdAdmin(BranchImportExportMixin, BranchScopedAdmin):
    resource_classes = [HouseholdResource]
    list_display = ["name", "kind", "branch"]
    list_filter = ["kind", "branch"]
    search_fields = ["name", "members__client_no"]


@admin.register(Account)
class AccountAdmin(BranchExportMixin, BranchScopedAdmin):
    """Accounts are imported with their clients (the clients file)."""

    resource_classes = [AccountResource]
    list_display = ["account_no", "client", "branch"]
    search_fields = ["account_no", "client__client_no", "client__name"]
    list_select_related = ["client", "branch"]
    raw_id_fields = ["client"]


@admin.register(Security)
class SecurityAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "securities"
    resource_classes = [SecurityResource]
    branch_path = None
    list_display = ["code", "name", "kind", "industry", "listed_on"]
    list_filter = ["kind", "industry"]
    search_fields = ["code", "name"]


@admin.register(Price)
class PriceAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "prices"
    resource_classes = [PriceResource]
    branch_path = None
    list_display = ["security", "date", "close"]
    list_filter = ["security__kind"]
    search_fields = ["security__code"]
    date_hierarchy = "date"
    raw_id_fields = ["security"]


@admin.register(Trade)
class TradeAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "trades"
    resource_classes = [TradeResource]
    list_display = [
        "trade_id",
        "trade_date",
        "account",
        "security",
        "side",
        "quantity",
        "price",
        "amount",
        "commission",
    ]
    list_filter = ["side", "branch"]
    search_fields = ["trade_id", "account__account_no", "security__code"]
    date_hierarchy = "trade_date"
    list_select_related = ["account", "security"]
    raw_id_fields = ["account", "security"]


@admin.register(TradeDay)
class TradeDayAdmin(BranchExportMixin, BranchScopedAdmin):
    """Read-only: each account-day's totals are derived from its trades (every writer
    of trades refreshes them), so they are neither imported nor edited by hand."""

    resource_classes = [TradeDayResource]
    branch_path = "account__branch"
    list_display = ["account", "date", "trades", "commission", "amount", "buy_amount"]
    search_fields = ["account__account_no"]
    date_hierarchy = "date"
    list_select_related = ["account"]
    raw_id_fields = ["account"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Position)
class PositionAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "positions"
    resource_classes = [PositionResource]
    branch_path = "account__branch"
    list_display = [
        "date",
        "account",
        "security",
        "quantity",
        "cost_price",
        "market_value",
    ]
    search_fields = ["account__account_no", "security__code"]
    date_hierarchy = "date"
    list_select_related = ["account", "security"]
    raw_id_fields = ["account", "security"]


@admin.register(Balance)
class BalanceAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "balances"
    resource_classes = [BalanceResource]
    branch_path = "account__branch"
    list_display = ["date", "account", "cash", "market_value", "total_assets"]
    search_fields = ["account__account_no"]
    date_hierarchy = "date"
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(CashFlow)
class CashFlowAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "cashflows"
    resource_classes = [CashFlowResource]
    list_display = ["flow_id", "date", "account", "type", "amount"]
    list_filter = ["type"]
    search_fields = ["flow_id", "account__account_no"]
    date_hierarchy = "date"
    list_select_related = ["account"]
    raw_id_fields = ["account"]


@admin.register(Interaction)
class InteractionAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "interactions"
    resource_classes = [InteractionResource]
    list_display = ["interaction_id", "date", "client", "advisor", "channel", "minutes"]
    list_filter = ["channel"]
    search_fields = ["interaction_id", "client__client_no", "summary"]
    date_hierarchy = "date"
    list_select_related = ["client", "advisor"]
    raw_id_fields = ["client", "advisor"]
    filter_horizontal = ["recommended"]


@admin.register(Feedback)
class FeedbackAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "feedback"
    resource_classes = [FeedbackResource]
    list_display = ["feedback_id", "date", "client", "topic", "score"]
    list_filter = ["topic", "score"]
    search_fields = ["feedback_id", "client__client_no", "comment"]
    date_hierarchy = "date"
    list_select_related = ["client"]
    raw_id_fields = ["client"]


@admin.register(Task)
class TaskAdmin(BranchImportExportMixin, BranchScopedAdmin):
    resource_classes = [TaskResource]
    list_display = ["title", "client", "owner", "kind", "code", "due_date", "status"]
    list_filter = ["kind", "status", "code"]
    search_fields = ["title", "client__client_no"]
    date_hierarchy = "due_date"
    list_select_related = ["client", "owner"]
    raw_id_fields = ["client", "owner", "created_by", "completed_by"]
