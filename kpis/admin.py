from django.contrib import admin

from brokercrm.admin import BranchScopedAdmin

from .models import AdvisorKpi, ClientAssignment, ClientMerge


@admin.register(AdvisorKpi)
class AdvisorKpiAdmin(BranchScopedAdmin):
    list_display = ("branch", "month", "date", "employee_no", "clients", "aum")
    list_filter = ("branch", "month")
    readonly_fields = [f.name for f in AdvisorKpi._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientAssignment)
class ClientAssignmentAdmin(BranchScopedAdmin):
    list_display = ("client", "from_advisor", "to_advisor", "moved_at", "moved_by")
    list_filter = ("branch",)
    readonly_fields = [f.name for f in ClientAssignment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientMerge)
class ClientMergeAdmin(BranchScopedAdmin):
    list_display = ("kept", "merged", "merged_at", "merged_by")
    list_filter = ("branch",)
    readonly_fields = [f.name for f in ClientMerge._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
