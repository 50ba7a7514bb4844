"""Merging a duplicate client's points into the client it is merged into."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from brokercrm.db import copy_rows
from clients import permissions

from ..models import (
    EntryKind,
    PointsEntry,
)
from ..selectors import points_balance
from .common import PointsError, _append, lock_client

MERGE_COLUMNS = [
    "branch_id",
    "client_id",
    "delta",
    "kind",
    "dated",
    "expires_at",
    "source_type",
    "source_id",
    "idempotency_key",
    "policy_version",
    "note",
    "created_at",
    "created_by_id",
]


@transaction.atomic
def points_merge(*, user, source, target) -> int:
    """Carry a duplicate client's points onto the client it is merged into (SPEC §7).

    Ledger rows never move, so every entry of `source` is copied onto `target` with
    its kind, day, expiry and delta (the FIFO and expiry of those points go on as if
    they had always been the target's), and `source` is closed out by one adjustment
    of its whole balance. Idempotent: a second call copies nothing. Returns the
    entries copied.
    """
    if source.pk == target.pk or source.branch_id != target.branch_id:
        raise PointsError(
            _("Points merge only between two clients of one branch."), code="invalid"
        )
    if not permissions.may_merge_points(user, source):
        raise PermissionDenied(_("Only a manager or admin of the branch may merge."))
    for client_id in sorted((source.pk, target.pk)):
        lock_client(client_id)
    prefix = f"merge:{target.pk}:"
    copied = {
        int(key.rsplit(":", 1)[1])
        for key in PointsEntry.objects.filter(
            client=target, idempotency_key__startswith=prefix
        ).values_list("idempotency_key", flat=True)
    }
    now = timezone.now()
    note = _("merged from %(client_no)s") % {"client_no": source.client_no}
    rows = [
        (
            target.branch_id,
            target.pk,
            delta,
            kind,
            dated,
            expires_at,
            source_type,
            source_id,
            f"{prefix}{entry_id}",
            version,
            note[:500],
            now,
            user.pk,
        )
        for entry_id, delta, kind, dated, expires_at, source_type, source_id, version in (
            PointsEntry.objects.filter(client=source)
            .exclude(idempotency_key__startswith=f"merge-out:{source.pk}:")
            .order_by("pk")
            .values_list(
                "pk",
                "delta",
                "kind",
                "dated",
                "expires_at",
                "source_type",
                "source_id",
                "policy_version",
            )
        )
        if entry_id not in copied
    ]
    if rows:
        copy_rows(PointsEntry, MERGE_COLUMNS, rows)
    balance = points_balance(client=source)
    if balance > 0:
        _append(
            client=source,
            delta=-balance,
            kind=EntryKind.ADJUSTMENT,
            on=timezone.localdate(),
            key=f"merge-out:{source.pk}:{target.pk}",
            user=user,
            note=_("merged into %(client_no)s") % {"client_no": target.client_no},
            source_type="client",
            source_id=target.pk,
        )
    return len(rows)
