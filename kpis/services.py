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
from churn.models import ChurnFlag, FlagStatus
from clients.masking import mask_id_number, mask_phone
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    Position,
    Task,
    TaskKind,
    TaskStatus,
    Trade,
)
from clients.permissions import may_merge_clients, may_reassign_clients
from clients.selectors import client_scope
from loyalty.selectors import points_balance
from loyalty.services import points_merge
from tiers.models import ScoreRun

from . import sources
from .models import AdvisorKpi, ClientAssignment, ClientMerge
from .scoring import kpi_table, month_changes, month_start


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
    previous = sources.previous_month_run(branch_id, start)
    before = sources.run_values_from_scores(previous.pk) if previous else None
    changes = month_changes(
        clients[["maturity_stage", "value_score", "assets"]],
        before[["maturity_stage", "value_score", "assets"]]
        if before is not None
        else None,
    )
    rows[-1]["mix"].update(changes)
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


#: What a merge moves, per table, and how it reaches the merged client.
MERGE_COUNTS = {
    "accounts": (Account, "client"),
    "trades": (Trade, "account__client"),
    "balances": (Balance, "account__client"),
    "positions": (Position, "account__client"),
    "cash_flows": (CashFlow, "account__client"),
    "interactions": (Interaction, "client"),
    "feedback": (Feedback, "client"),
    "tasks": (Task, "client"),
    "churn_flags": (ChurnFlag, "client"),
    "assignments": (ClientAssignment, "client"),
    "referrals": (Client, "referred_by"),
}


def client_merge_preview(*, kept: Client, merged: Client) -> dict:
    """Rows per table each side holds, and the points each has: what a merge moves."""
    counts = {}
    for name, (model, path) in MERGE_COUNTS.items():
        counts[name] = {
            side: model.objects.filter(**{path: client}).count()
            for side, client in (("kept", kept), ("merged", merged))
        }
    counts["points"] = {
        "kept": points_balance(client=kept),
        "merged": points_balance(client=merged),
    }
    return counts


def _merge_check(user, kept: Client, merged: Client) -> None:
    if not may_merge_clients(user):
        raise PermissionDenied(_("Only the branch's managers and admins may merge."))
    if kept.pk == merged.pk:
        raise ValidationError({"merge": _("Choose two different clients.")})
    if kept.branch_id != merged.branch_id:
        raise ValidationError({"merge": _("Only clients of one branch can be merged.")})
    if ClientMerge.objects.filter(merged__in=[kept, merged]).exists():
        raise ValidationError({"merge": _("One of these clients is already merged.")})


@transaction.atomic
def client_merge(*, user, kept: Client, merged: Client) -> ClientMerge:
    """Merge a duplicate into the client kept, in one transaction (SPEC §7).

    Every account (with its trades, balances, positions and cash flows), interaction,
    feedback, task, churn flag, assignment record and referral of `merged` moves to
    `kept`; its points are carried over by the loyalty ledger. Where both had the same
    generated task or churn flag open, the merged one is closed (kept, not doubled).
    The merged client stays as an emptied prospect with no advisor, and the merge
    record keeps what it was.
    """
    _merge_check(user, kept, merged)
    scope = client_scope(user)
    locked = {
        c.pk: c
        for c in scope.filter(pk__in=[kept.pk, merged.pk])
        .select_for_update(of=("self",))
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError({"merge": _("Both clients must be in your branch.")})
    kept, merged = locked[kept.pk], locked[merged.pk]
    # Asked again under the locks: a merge of the same pair that was running at the
    # same time has committed by now, and this one must not be done twice.
    if ClientMerge.objects.filter(merged__in=[kept, merged]).exists():
        raise ValidationError({"merge": _("One of these clients is already merged.")})
    before = client_merge_preview(kept=kept, merged=merged)
    now = timezone.now()
    note = _("Merged into %(client_no)s.") % {"client_no": kept.client_no}
    # Generated tasks and flags both clients have open: close the duplicate's.
    kept_tasks = set(
        Task.objects.filter(client=kept, status=TaskStatus.OPEN)
        .exclude(kind=TaskKind.MANUAL)
        .values_list("kind", "code")
    )
    for task in (
        Task.objects.filter(client=merged, status=TaskStatus.OPEN)
        .exclude(kind=TaskKind.MANUAL)
        .only("pk", "kind", "code")
    ):
        if (task.kind, task.code) in kept_tasks:
            Task.objects.filter(pk=task.pk).update(
                status=TaskStatus.DISMISSED, outcome=note, completed_at=now
            )
    kept_flags = set(
        ChurnFlag.objects.filter(client=kept, status=FlagStatus.OPEN).values_list(
            "code", flat=True
        )
    )
    ChurnFlag.objects.filter(
        client=merged, status=FlagStatus.OPEN, code__in=kept_flags
    ).update(status=FlagStatus.RESOLVED, note=note, resolved_at=now, resolved_by=user)
    moved = {}
    moved["accounts"] = Account.objects.filter(client=merged).update(client=kept)
    for name, model in (
        ("interactions", Interaction),
        ("feedback", Feedback),
        ("churn_flags", ChurnFlag),
        ("assignments", ClientAssignment),
    ):
        moved[name] = model.objects.filter(client=merged).update(client=kept)
    moved["tasks"] = Task.objects.filter(client=merged).update(
        client=kept, owner=kept.advisor
    )
    moved["referrals"] = Client.objects.filter(referred_by=merged).update(
        referred_by=kept
    )
    moved["points_entries"] = points_merge(user=user, source=merged, target=kept)
    snapshot = {
        field: str(getattr(merged, field) or "")
        for field in (
            "client_no",
            "name",
            "kind",
            "gender",
            "birth_date",
            "opened_at",
            "closed_at",
            "advisor_id",
            "relationship_level",
            "risk_level",
            "household_id",
        )
    }
    # Personal data is kept masked only: the merged row itself keeps the full numbers.
    snapshot["id_number"] = mask_id_number(merged.id_number)
    snapshot["phone"] = mask_phone(merged.phone)
    snapshot["counts_before"] = before
    if kept.household_id is None and merged.household_id is not None:
        Client.objects.filter(pk=kept.pk).update(household_id=merged.household_id)
    # The merged client stays (its points history is kept) as an emptied prospect.
    Client.objects.filter(pk=merged.pk).update(
        advisor=None,
        opened_at=None,
        closed_at=None,
        household=None,
        updated_at=now,
    )
    return ClientMerge.objects.create(
        branch_id=kept.branch_id,
        kept=kept,
        merged=merged,
        snapshot=snapshot,
        moved=moved,
        merged_by=user,
    )
