"""What every branch-scoped admin page shares: a branch admin sees only their branch."""

from django.contrib import admin

from advisors.models import Role


class BranchScopedAdmin(admin.ModelAdmin):
    """Restricts the change list and lookups to the admin user's branch.

    `branch_path` is the lookup from the model to its branch (e.g. `account__branch`);
    None for models that are shared by every branch (securities, prices).
    """

    branch_path: str | None = "branch"
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        user = request.user
        if (
            self.branch_path is None
            or user.is_superuser
            or user.role == Role.HEAD_OFFICE
        ):
            return queryset
        return queryset.filter(**{self.branch_path: user.branch_id})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "branch" and not (
            user.is_superuser or user.role == Role.HEAD_OFFICE
        ):
            kwargs["queryset"] = db_field.related_model.objects.filter(
                pk=user.branch_id
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
