"""What every branch-scoped admin page shares: a branch admin reads and writes only
their branch, head office reads every branch and writes nothing.

The rules themselves are the predicates of `clients.permissions`; this module applies
them to every door of a ModelAdmin: the change list, the add/change/delete views,
every foreign-key and many-to-many field (select, raw id or autocomplete: the field's
queryset is what validates a submitted id), bulk actions and the saved row itself.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from brokercrm.branches import branch_id_of, branch_path
from clients.permissions import (
    may_edit_branch_row,
    may_edit_shared_reference,
    may_write,
    sees_every_branch,
)


def rows_user_may_link(user, queryset):
    """The rows of `queryset` a user may point a foreign key of theirs at."""
    if user.is_superuser:
        return queryset
    path = branch_path(queryset.model)
    if path is None:  # shared reference data (securities)
        return queryset
    if not may_write(user):
        return queryset.none()
    return queryset.filter(**{path: user.branch_id})


def check_links(user, obj):
    """PermissionDenied when a foreign key of `obj` is set to another branch's row.

    Only the keys being changed are checked: a row may keep pointing at what the
    system put there (e.g. the head office user who resolved a flag).
    """
    if user.is_superuser:
        return
    links = [
        field
        for field in obj._meta.concrete_fields
        if field.is_relation and field.many_to_one
    ]
    saved = {}
    if obj.pk is not None:
        saved = (
            type(obj)
            ._default_manager.filter(pk=obj.pk)
            .values(*(field.attname for field in links))
            .first()
        ) or {}
    for field in links:
        target_id = getattr(obj, field.attname)
        if target_id is None or saved.get(field.attname) == target_id:
            continue
        model = field.related_model
        allowed = rows_user_may_link(user, model._default_manager.all())
        if not allowed.filter(**{field.target_field.name: target_id}).exists():
            raise PermissionDenied


class BranchScopedAdmin(admin.ModelAdmin):
    """Restricts every admin door of a model to the admin user's branch.

    `branch_path` is the lookup from the model to its branch (e.g. `account__branch`);
    None for models that are shared by every branch (securities, prices).
    """

    branch_path: str | None = "branch"
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.branch_path is None or sees_every_branch(request.user):
            return queryset
        return queryset.filter(**{self.branch_path: request.user.branch_id})

    def get_list_filter(self, request):
        # A branch admin has one branch: the branch filter would only list the others.
        if sees_every_branch(request.user):
            return self.list_filter
        return [name for name in self.list_filter if name != "branch"]

    # -- permissions: the role's model permissions, and the row's branch -------------
    def may_edit_row(self, request, obj) -> bool:
        if self.branch_path is None:  # shared by every branch
            return may_edit_shared_reference(request.user)
        if obj is None:
            return may_write(request.user)
        return may_edit_branch_row(request.user, branch_id_of(obj, self.branch_path))

    def has_add_permission(self, request, *args):
        return self.may_edit_row(request, None) and super().has_add_permission(
            request, *args
        )

    def has_change_permission(self, request, obj=None):
        return self.may_edit_row(request, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return self.may_edit_row(request, obj) and super().has_delete_permission(
            request, obj
        )

    # -- form fields: a foreign key offers (and accepts) only the branch's rows -------
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = rows_user_may_link(request.user, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = rows_user_may_link(request.user, field.queryset)
        return field

    # -- saving: the row and everything it points at stay in the branch --------------
    def prepare_row(self, request, obj):
        """Hook: fill what the form left empty before the row is checked."""

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        self.prepare_row(request, obj)
        if not self.may_edit_row(request, obj):
            raise PermissionDenied
        check_links(request.user, obj)
        return obj

    def delete_queryset(self, request, queryset):
        user = request.user
        if not self.may_edit_row(request, None):
            raise PermissionDenied
        if (
            not user.is_superuser
            and self.branch_path is not None
            and queryset.exclude(**{self.branch_path: user.branch_id}).exists()
        ):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(BranchScopedAdmin):
    """A branch-scoped screen onto rows the app writes itself (ledgers, KPIs, moves,
    merges): they can be read, never added, changed or deleted by hand."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
