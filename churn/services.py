"""Writes of the churn flags' lifecycle: an advisor resolves a flag with an outcome."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Task, TaskKind, TaskStatus
from clients.permissions import may_write

from .models import ChurnFlag, FlagOutcome, FlagStatus
from .selectors import churn_flag_get


@transaction.atomic
def churn_flag_resolve(
    *, user, flag_id: int, outcome: str, note: str = ""
) -> ChurnFlag:
    """Close an open flag with its outcome (retained / lost / not a risk).

    The flag's generated churn task is closed with it; the nightly run may raise the
    code again for the client from now on. Http404 when `user` may not see the
    client; PermissionDenied for a read-only role (head office); ValidationError for
    an unknown outcome or a flag already resolved.
    """
    flag = churn_flag_get(user=user, pk=flag_id)
    if not may_write(user):
        raise PermissionDenied(_("Your role may read but not change data."))
    flag = ChurnFlag.objects.select_for_update().get(pk=flag.pk)
    if outcome not in FlagOutcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    if flag.status != FlagStatus.OPEN:
        raise ValidationError(_("This flag is already resolved."))
    now = timezone.now()
    flag.status = FlagStatus.RESOLVED
    flag.outcome = outcome
    flag.note = note
    flag.resolved_at = now
    flag.resolved_by = user
    flag.save(update_fields=["status", "outcome", "note", "resolved_at", "resolved_by"])
    Task.objects.filter(
        client_id=flag.client_id,
        kind=TaskKind.CHURN,
        code=flag.code,
        status=TaskStatus.OPEN,
    ).update(
        status=TaskStatus.DONE,
        outcome=f"{FlagOutcome(outcome).label}: {note}".strip(": "),
        completed_at=now,
        completed_by=user,
    )
    return flag
