"""Writes of the managers' app: the KPI snapshot (SPEC §5), reassignments, merges."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from advisors.models import Advisor
from clients.models import Client, Task, TaskStatus
from clients.permissions import may_reassign_clients
from clients.selectors import client_scope
from tiers.models import ScoreRun

from . import sources
from .models import AdvisorKpi, ClientAssignment
from .scoring import kpi_table, month_start


@transaction.atomic
def kpi_snapshot_take(
    *,
    run: ScoreRun,
    features: pd.DataFrame | None = None,
    results: pd.DataFrame | None = None,
) -> dict:
    """Store the KPI rows of `run`'s month to date: one per advisor, one for the branch.

    Called by the nightly run after its flags are written, with the run's features and
    results in memory (unrounded); without them the run's stored per-client rows are
    read. Re-taking a run's snapshot replaces its rows. Returns counts for the run.
    """
    branch_id, end = run.branch_id, run.date
    start = month_start(end)
    clients = sources.load_clients(branch_id, end)
    if features is not None and results is not None:
        values = sources.run_values_from_frames(features, results)
    else:
        values = sources.run_values_from_scores(run.pk)
    clients = clients.join(values, how="left")
    clients["is_open"] = clients["is_open"].astype("boolean").fillna(False).astype(bool)
    rows = kpi_table(
        clients=clients,
        advisors=sources.load_advisors(branch_id),
        flows=sources.load_flows(branch_id, start, end),
        commission=sources.load_commission(branch_id, start, end),
        contacted=sources.load_contacted(branch_id, end),
        minutes=sources.load_minutes(branch_id, start, end),
        flags_open=sources.load_flags_open(branch_id, end),
        flags_resolved=sources.load_flags_resolved(branch_id, start, end),
        feedback=sources.load_feedback(branch_id, start, end),
        start=start,
        end=end,
    )
    AdvisorKpi.objects.filter(run=run).delete()
    objects = []
    for row in rows:
        key = row.pop("key")
        objects.append(
            AdvisorKpi(
                run=run,
                branch_id=branch_id,
                month=start,
                date=end,
                advisor_id=None if key == "*" else int(key),
                **row,
            )
        )
    AdvisorKpi.objects.bulk_create(objects)
    return {"rows": len(objects)}


def kpi_snapshot_step(ctx) -> dict:
    """The nightly run's snapshot step: `ctx` is its NightlyContext (run, frames)."""
    return kpi_snapshot_take(run=ctx.run, features=ctx.features, results=ctx.results)


@transaction.atomic
def clients_reassign(
    *, user, client_ids: Iterable[int], to_advisor_id: int, reason: str
) -> list[ClientAssignment]:
    """Move clients to another advisor in one action, recorded per client (SPEC §7).

    Their open tasks follow them (flags belong to the client and follow by
    themselves); the old advisor loses access at once, since the book is the
    client's advisor. Clients already with the advisor are left as they are.
    PermissionDenied unless the user may reassign; ValidationError naming the field
    for a missing reason, an unknown advisor or a client out of reach.
    """
    if not may_reassign_clients(user):
        raise PermissionDenied(_("Only the branch's manager may reassign clients."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the move.")})
    ids = sorted({int(pk) for pk in client_ids})
    if not ids:
        raise ValidationError({"clients": _("Select at least one client.")})
    clients = list(
        client_scope(user)
        .filter(pk__in=ids)
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if len(clients) != len(ids):
        raise ValidationError(
            {"clients": _("Some of the selected clients are not in your branch.")}
        )
    branch_ids = {client.branch_id for client in clients}
    advisor = (
        Advisor.objects.filter(pk=to_advisor_id, branch_id__in=branch_ids).first()
        if len(branch_ids) == 1
        else None
    )
    if advisor is None:
        raise ValidationError(
            {"to_advisor": _("Choose an advisor of the clients' branch.")}
        )
    moving = [client for client in clients if client.advisor_id != advisor.pk]
    now = timezone.now()
    batch = uuid.uuid4()
    records = [
        ClientAssignment(
            branch_id=client.branch_id,
            client_id=client.pk,
            from_advisor_id=client.advisor_id,
            to_advisor_id=advisor.pk,
            reason=reason[:500],
            batch=batch,
            moved_at=now,
            moved_on=timezone.localdate(now),
            moved_by=user,
        )
        for client in moving
    ]
    moved_ids = [client.pk for client in moving]
    Client.objects.filter(pk__in=moved_ids).update(advisor=advisor, updated_at=now)
    Task.objects.filter(client_id__in=moved_ids, status=TaskStatus.OPEN).update(
        owner=advisor
    )
    return ClientAssignment.objects.bulk_create(records)
