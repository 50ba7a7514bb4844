"""Reads of import batches, scoped like the branch's data: admins see their branch."""

from django.db.models import QuerySet
from django.http import Http404

from advisors.models import Role

from .models import ImportBatch


def can_import(user) -> bool:
    """Feeding files in is the branch admin's job (SPEC §1), and the superuser's."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (user.role == Role.ADMIN and user.branch_id is not None)


def batch_list(*, user) -> QuerySet[ImportBatch]:
    """The import history `user` may see, newest first."""
    batches = ImportBatch.objects.select_related("branch", "created_by")
    if user is None or not user.is_authenticated or not user.is_active:
        return batches.none()
    if user.is_superuser or user.role == Role.HEAD_OFFICE:
        return batches
    if user.role == Role.ADMIN and user.branch_id is not None:
        return batches.filter(branch_id=user.branch_id)
    return batches.none()


def batch_get(*, user, pk) -> ImportBatch:
    try:
        return batch_list(user=user).get(pk=pk)
    except (ImportBatch.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such import.") from exc
