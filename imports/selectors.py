"""Reads of import batches, scoped like the branch's data: admins see their branch."""

from django.db.models import QuerySet

from clients import permissions

from .models import ImportBatch


def batch_list(*, user) -> QuerySet[ImportBatch]:
    """The import history `user` may see, newest first."""
    batches = ImportBatch.objects.select_related("branch", "created_by")
    if not permissions.may_see_imports(user):
        return batches.none()
    if user.is_superuser or permissions.is_read_only(user):
        return batches
    return batches.filter(branch_id=user.branch_id)


def batch_get(*, user, pk) -> ImportBatch:
    """One import the user may see, else ImportBatch.DoesNotExist."""
    try:
        return batch_list(user=user).get(pk=pk)
    except (ValueError, TypeError) as exc:
        raise ImportBatch.DoesNotExist("No such import.") from exc
