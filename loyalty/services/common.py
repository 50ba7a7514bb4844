"""What the points services share: their error, the ledger's columns, the policy,
the one client lock, and appending one entry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clients.models import Client
from tiers.policy import Policy
from tiers.selectors import policy_for

from ..fifo import add_months
from ..models import (
    PointsEntry,
)


class PointsError(ValidationError):
    """A points operation that cannot be done, with a message for the user.

    code "invalid": the request itself is wrong (the API answers 400); any other code
    (or none): the state does not allow it now — balance, stock, already done (409).
    """


ENTRY_COLUMNS = [
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
]


def _policy(branch) -> tuple[int | None, Policy]:
    return policy_for(branch=branch)


def lock_client(client_id: int) -> None:
    """Lock the client's row (FOR NO KEY UPDATE) until the transaction ends: one
    redemption, reversal, adjustment or merge of a client at a time."""
    Client.objects.select_for_update(no_key=True).filter(pk=client_id).values_list(
        "pk"
    ).get()


def _append(*, client, delta, kind, on, key, user, note="", expires_at=None, **extra):
    """Append one entry; a refused overdraft becomes a clear PointsError.

    A credit is a new lot that expires after the policy's months unless `expires_at`
    says otherwise (a reversal of an earning carries the lot's own expiry day).
    """
    if expires_at is None and delta > 0:
        expiry_months = _policy(client.branch)[1].points.expiry_months
        expires_at = add_months(on, expiry_months)
    try:
        with transaction.atomic():
            return PointsEntry.objects.create(
                branch_id=client.branch_id,
                client=client,
                delta=delta,
                kind=kind,
                dated=on,
                expires_at=expires_at,
                idempotency_key=key,
                note=note[:500],
                created_by=user,
                **extra,
            )
    except IntegrityError as exc:
        if PointsEntry.objects.filter(idempotency_key=key).exists():
            raise PointsError(_("This correction was already made.")) from exc
        raise PointsError(
            _("The client does not have enough points for this correction.")
        ) from exc
