"""Admin pages of branches, users, teams, advisors and book shares.

Users and book shares have no import or export: the import matched users across
branches and went around the add form's rules (a branch admin could create a head
office user or move another branch's manager into theirs). Both are edited one by one,
under `clients.permissions`.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied

from brokercrm.admin import BranchScopedAdmin
from clients.permissions import (
    may_grant_role,
    may_manage_user,
    may_write,
    sees_every_branch,
)
from imports.admin import BranchFileImportMixin, BranchImportExportMixin

from .models import Advisor, BookShare, Branch, Role, Team, User
from .resources import AdvisorResource, BranchResource, TeamResource


@admin.register(Branch)
class BranchAdmin(BranchImportExportMixin, admin.ModelAdmin):
    resource_classes = [BranchResource]
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "get_full_name",
        "role",
        "branch",
        "is_active",
        "last_login",
    ]
    list_filter = ["role", "is_active", "is_staff"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        ("BrokerCRM", {"fields": ("role", "branch")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("BrokerCRM", {"fields": ("role", "branch")}),
    )

    def get_queryset(self, request):
        users = super().get_queryset(request)
        if sees_every_branch(request.user):
            return users
        return users.filter(branch_id=request.user.branch_id)

    def get_list_filter(self, request):
        if sees_every_branch(request.user):
            return [*self.list_filter, "branch"]
        return self.list_filter

    def has_add_permission(self, request):
        return may_write(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not may_manage_user(request.user, obj):
            return False
        return may_write(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not may_manage_user(request.user, obj):
            return False
        return may_write(request.user) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        # A branch admin manages the branch's users but cannot hand out more power
        # than a manager's, nor move users to another branch.
        return [
            "is_superuser",
            "groups",
            "user_permissions",
            "branch",
            "last_login",
            "date_joined",
        ]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [
                (value, label)
                for value, label in Role.choices
                if may_grant_role(request.user, value)
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        user = request.user
        if not user.is_superuser:
            obj.branch_id = user.branch_id
            obj.is_superuser = False
            if not may_grant_role(user, obj.role) or not may_manage_user(user, obj):
                raise PermissionDenied
        return obj

    def delete_queryset(self, request, queryset):
        if not all(may_manage_user(request.user, target) for target in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


@admin.register(Team)
class TeamAdmin(BranchImportExportMixin, BranchScopedAdmin):
    resource_classes = [TeamResource]
    list_display = ["name", "branch"]
    list_filter = ["branch"]
    search_fields = ["name"]


@admin.register(Advisor)
class AdvisorAdmin(BranchFileImportMixin, BranchScopedAdmin):
    import_kind = "advisors"
    resource_classes = [AdvisorResource]
    list_display = ["employee_no", "name", "team", "role", "email", "user", "is_active"]
    list_filter = ["branch", "role", "team", "is_active"]
    search_fields = ["employee_no", "name", "email"]
    list_select_related = ["team", "user"]
    raw_id_fields = ["user"]


@admin.register(BookShare)
class BookShareAdmin(BranchScopedAdmin):
    """A share is between two people of one branch (the form offers no other)."""

    branch_path = "advisor__branch"
    list_display = ["user", "advisor", "granted_by", "created_at"]
    raw_id_fields = ["user", "advisor"]
    readonly_fields = ["granted_by"]

    def prepare_row(self, request, obj):
        if obj.pk is None:
            obj.granted_by = request.user
