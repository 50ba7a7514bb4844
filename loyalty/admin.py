"""Admin: the catalogue is edited here; the ledger and redemptions are read-only.

Points change only through the services (redemption, reversal, adjustment), never by
editing rows, so the ledger pages offer no add, change or delete.
"""

from django.contrib import admin
from django.db.models import Q

from brokercrm.admin import BranchScopedAdmin, ReadOnlyAdmin
from clients.permissions import sees_every_branch

from .models import (
    AccrualRun,
    CatalogueItem,
    PointsAccount,
    PointsAdjustment,
    PointsEntry,
    Redemption,
)


@admin.register(CatalogueItem)
class CatalogueItemAdmin(BranchScopedAdmin):
    list_display = [
        "code",
        "name",
        "branch",
        "points_price",
        "free_tiers",
        "unit_value_cny",
        "stock",
        "is_active",
    ]
    list_filter = ["is_active", "branch"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        items = admin.ModelAdmin.get_queryset(self, request)
        user = request.user
        if sees_every_branch(user):
            return items
        # A branch admin sees the items every branch offers and edits their own: an
        # item of no branch is head office's (may_edit_branch_row says no).
        return items.filter(Q(branch__isnull=True) | Q(branch_id=user.branch_id))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "branch" and not request.user.is_superuser:
            # Left empty the item would be offered at every branch.
            field.required = True
            field.empty_label = None
        return field

    def prepare_row(self, request, obj):
        if obj.branch_id is None and not request.user.is_superuser:
            obj.branch_id = request.user.branch_id


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["dated", "client", "kind", "delta", "expires_at", "created_at"]
    list_filter = ["kind", "branch"]
    search_fields = ["client__client_no", "client__name", "idempotency_key"]
    list_select_related = ["client"]
    date_hierarchy = "dated"


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    branch_path = "client__branch"
    list_display = ["client", "balance"]
    search_fields = ["client__client_no", "client__name"]
    list_select_related = ["client"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client", "item", "quantity", "points", "tier"]
    list_filter = ["item", "branch"]
    search_fields = ["client__client_no", "client__name"]
    list_select_related = ["client", "item"]


@admin.register(PointsAdjustment)
class PointsAdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "client", "delta", "status", "requested_by"]
    list_filter = ["status", "branch"]
    list_select_related = ["client", "requested_by"]


@admin.register(AccrualRun)
class AccrualRunAdmin(ReadOnlyAdmin):
    list_display = ["as_of", "branch", "policy_version", "counts", "duration_s"]
    list_filter = ["branch"]
