from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from brokercrm.admin import BranchScopedAdmin
from imports.admin import BranchImportExportMixin

from .models import Advisor, BookShare, Branch, Role, Team, User
from .resources import (
    AdvisorResource,
    BookShareResource,
    BranchResource,
    TeamResource,
    UserResource,
)


@admin.register(Branch)
class BranchAdmin(BranchImportExportMixin, admin.ModelAdmin):
    resource_classes = [BranchResource]
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(BranchImportExportMixin, DjangoUserAdmin):
    resource_classes = [UserResource]
    list_display = [
        "username",
        "get_full_name",
        "role",
        "branch",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "branch", "is_active", "is_staff"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("BrokerCRM", {"fields": ("role", "branch")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("BrokerCRM", {"fields": ("role", "branch")}),
    )

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        return users.filter(branch_id=request.user.branch_id)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        # A branch admin manages the branch's users but cannot hand out more power
        # than a branch role, nor move users to another branch.
        return [
            "is_superuser",
            "groups",
            "user_permissions",
            "branch",
            "last_login",
            "date_joined",
        ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [
                (value, label)
                for value, label in Role.choices
                if value != Role.HEAD_OFFICE
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.branch_id = request.user.branch_id
        super().save_model(request, obj, form, change)


@admin.register(Team)
class TeamAdmin(BranchImportExportMixin, BranchScopedAdmin):
    resource_classes = [TeamResource]
    list_display = ["name", "branch"]
    list_filter = ["branch"]
    search_fields = ["name"]


@admin.register(Advisor)
class AdvisorAdmin(BranchImportExportMixin, BranchScopedAdmin):
    resource_classes = [AdvisorResource]
    list_display = ["employee_no", "name", "team", "role", "email", "user", "is_active"]
    list_filter = ["branch", "role", "team", "is_active"]
    search_fields = ["employee_no", "name", "email"]
    list_select_related = ["team", "user"]
    raw_id_fields = ["user"]


@admin.register(BookShare)
class BookShareAdmin(BranchImportExportMixin, BranchScopedAdmin):
    resource_classes = [BookShareResource]
    branch_path = "advisor__branch"
    list_display = ["user", "advisor", "granted_by", "created_at"]
    raw_id_fields = ["user", "advisor", "granted_by"]
