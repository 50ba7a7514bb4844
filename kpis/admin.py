from django.contrib import admin

from brokercrm.admin import ReadOnlyAdmin

from .models import AdvisorKpi, ClientAssignment, ClientMerge


@admin.register(AdvisorKpi)
class AdvisorKpiAdmin(ReadOnlyAdmin):
    list_display = ("branch", "month", "date", "employee_no", "clients", "aum")
    list_filter = ("branch", "month")
    readonly_fields = [f.name for f in AdvisorKpi._meta.fields]


@admin.register(ClientAssignment)
class ClientAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("client", "from_advisor", "to_advisor", "moved_at", "moved_by")
    list_filter = ("branch",)
    readonly_fields = [f.name for f in ClientAssignment._meta.fields]


@admin.register(ClientMerge)
class ClientMergeAdmin(ReadOnlyAdmin):
    list_display = ("kept", "merged", "merged_at", "merged_by")
    list_filter = ("branch",)
    readonly_fields = [f.name for f in ClientMerge._meta.fields]
