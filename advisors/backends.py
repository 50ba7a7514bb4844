"""Permissions that follow from a user's role, so no one hand-assigns them per user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef

from .models import BookShare, Role

# The apps whose data a branch admin manages (SPEC §1); head office may view them.
BRANCH_DATA_APPS = ("advisors", "clients", "imports", "tiers", "churn", "loyalty")


class RoleBackend(ModelBackend):
    """Grants a branch admin every permission on the branch-data apps, head office view.

    Which rows they reach is still decided by the scoping (BranchScopedAdmin and
    clients.selectors.client_scope); this only opens the doors of the admin site.
    """

    def get_user(self, user_id):
        """The signed-in user of a request, read with their branch (every page names
        it) and whether books are shared with them (`reads_shared_books`): one query,
        not three. Otherwise ModelBackend's."""
        user_model = get_user_model()
        try:
            user = (
                user_model._default_manager.select_related("branch")
                .annotate(
                    reads_shared_books=Exists(
                        BookShare.objects.filter(user_id=OuterRef("pk"))
                    )
                )
                .get(pk=user_id)
            )
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        permissions = set(super().get_all_permissions(user_obj, obj))
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return permissions
        if not hasattr(user_obj, "_role_perm_cache"):
            role_perms = Permission.objects.filter(
                content_type__app_label__in=BRANCH_DATA_APPS
            )
            if user_obj.role == Role.ADMIN:
                # Branches themselves are created by a superuser (add_branch), not here;
                # seeing full ID and phone numbers is granted one admin at a time.
                role_perms = role_perms.exclude(content_type__model="branch").exclude(
                    codename="reveal_personal_data"
                )
            elif user_obj.role == Role.HEAD_OFFICE:
                role_perms = role_perms.filter(codename__startswith="view_")
            else:
                role_perms = role_perms.none()
            user_obj._role_perm_cache = {
                f"{app}.{codename}"
                for app, codename in role_perms.values_list(
                    "content_type__app_label", "codename"
                )
            }
        return permissions | user_obj._role_perm_cache
