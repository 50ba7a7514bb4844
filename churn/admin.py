"""Admin pages of the churn flags (read and resolve through the app; listed here)."""

from django.contrib import admin

from brokercrm.admin import BranchScopedAdmin

from .models import ChurnFlag


@admin.register(ChurnFlag)
class ChurnFlagAdmin(BranchScopedAdmin):
    list_display = [
        "client",
        "code",
        "status",
        "raised_on",
        "outcome",
        "resolved_by",
        "resolved_at",
    ]
    list_filter = ["status", "code", "outcome"]
    search_fields = ["client__client_no", "client__name"]
    list_select_related = ["client", "resolved_by"]
    raw_id_fields = ["client", "run"]
    readonly_fields = ["raised_on", "run", "reason", "suggested_action", "created_at"]
