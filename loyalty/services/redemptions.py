"""Redemptions: clients spend points on catalogue items, once per idempotency key."""

from __future__ import annotations

import hashlib
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import permissions
from tiers.selectors import latest_tiers

from ..models import (
    CatalogueItem,
    EntryKind,
    PointsEntry,
    Redemption,
)
from ..selectors import points_balance
from .common import PointsError, lock_client
from .expiry import _expire


def _fingerprint(*, client, item, quantity) -> str:
    payload = f"client={client.pk}|item={item.pk}|quantity={quantity}"
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_may_redeem(user, client) -> None:
    if not permissions.may_redeem_for(user, client):
        raise PermissionDenied(_("You may not redeem points for this client."))


def _replay(redemption: Redemption, fingerprint: str) -> Redemption:
    if redemption.request_fingerprint != fingerprint:
        raise PointsError(
            _(
                "This idempotency key was already used for a different redemption; "
                "use a new key for a new request."
            ),
            code="idempotency_key_reused",
        )
    return redemption


def client_tier(client) -> str | None:
    """The client's tier in the latest nightly run, or None when there is none yet."""
    return latest_tiers([client.pk]).get(client.pk)


def redemption_create(
    *,
    user,
    client,
    item: CatalogueItem,
    quantity: int = 1,
    idempotency_key: str,
    on: date | None = None,
) -> Redemption:
    """Redeem a catalogue item for a client: the one door for the UI and the API.

    Concurrent-safe (the client's row is locked, and the database refuses an overdraft
    anyway); idempotent (the same key and payload returns the first redemption; the same
    key with another payload is refused). Items the client's tier gets free cost 0
    points; a client may redeem an item of a higher tier, which changes nothing else.
    """
    _check_may_redeem(user, client)
    if not idempotency_key or len(idempotency_key) > 200:
        raise PointsError(
            _("An idempotency key (1–200 characters) is required."), code="invalid"
        )
    quantity = int(quantity)
    if quantity < 1:
        raise PointsError(_("The quantity must be at least 1."), code="invalid")
    fingerprint = _fingerprint(client=client, item=item, quantity=quantity)
    keys = Redemption.objects.filter(branch_id=client.branch_id)
    existing = keys.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    try:
        return _redeem(
            user=user,
            client=client,
            item=item,
            quantity=quantity,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            on=on or timezone.localdate(),
        )
    except IntegrityError as exc:
        # Another request with the same key won the race: answer as it did.
        existing = keys.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            # The database refused an overdraft or a negative stock.
            raise PointsError(
                _("The balance or the stock changed meanwhile; nothing was redeemed.")
            ) from exc
        return _replay(existing, fingerprint)


@transaction.atomic
def _redeem(*, user, client, item, quantity, idempotency_key, fingerprint, on):
    lock_client(client.pk)
    existing = Redemption.objects.filter(
        branch_id=client.branch_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return _replay(existing, fingerprint)
    item = CatalogueItem.objects.select_for_update(no_key=True).get(pk=item.pk)
    if not item.is_active or item.branch_id not in (None, client.branch_id):
        raise PointsError(_("This item is not offered to this client."))
    if item.stock is not None and item.stock < quantity:
        raise PointsError(
            _("Out of stock: %(left)d left.") % {"left": item.stock},
            code="out_of_stock",
        )
    tier = client_tier(client)
    points = 0 if tier in (item.free_tiers or []) else item.points_price * quantity
    _expire(client_ids=[client.pk], as_of=on, now=timezone.now())
    balance = points_balance(client=client)
    if points > balance:
        raise PointsError(
            _("Not enough points: %(needed)d needed, %(balance)d available.")
            % {"needed": points, "balance": balance},
            code="insufficient_points",
        )
    redemption = Redemption.objects.create(
        branch_id=client.branch_id,
        client=client,
        item=item,
        quantity=quantity,
        points=points,
        value_cny=item.unit_value_cny * quantity,
        tier=tier or "",
        dated=on,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        created_by=user,
    )
    if points:
        PointsEntry.objects.create(
            branch_id=client.branch_id,
            client=client,
            delta=-points,
            kind=EntryKind.REDEMPTION,
            dated=on,
            source_type="redemption",
            source_id=redemption.pk,
            idempotency_key=f"redemption:{redemption.pk}",
            redemption=redemption,
            note=item.name[:500],
            created_by=user,
        )
    if item.stock is not None:
        CatalogueItem.objects.filter(pk=item.pk).update(stock=F("stock") - quantity)
    return redemption
