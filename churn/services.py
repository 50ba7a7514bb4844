"""Writes of the churn flags' lifecycle: the nightly run's churn step raises them, an
advisor resolves a flag with an outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.models import Task, TaskKind, TaskStatus
from clients.permissions import may_write
from clients.services import TaskCondition
from tiers.policy import Policy

from .labels import reason_text, suggested_action_text
from .models import ChurnFlag, FlagOutcome, FlagStatus
from .scoring import churn_flags, churn_risk, flag_facts
from .selectors import churn_flag_get

# Days to the due date of a new flag's task.
TASK_DUE_DAYS = {"OUTFLOW": 2}
TASK_DUE_DAYS_DEFAULT = 7


@dataclass
class ChurnOutcome:
    """The churn step's answer for a run: per-client risk and flag codes, new flags."""

    flags: pd.DataFrame  # one boolean column per code: does the rule fire on D
    risk: pd.Series  # 0-100, null for clients not open on D
    codes: pd.Series  # the codes open for the client after the run, ";"-joined
    open_flags: set  # (client_id, code) open before the run
    new_flags: list  # unsaved ChurnFlag rows to raise when the run swaps in

    def task_conditions(self) -> list[TaskCondition]:
        """Every open flag keeps its churn task open; a new flag raises one."""
        holds: dict[str, set] = {code: set() for code in self.flags.columns}
        for client_id, code in self.open_flags:
            holds.setdefault(code, set()).add(client_id)
        raise_for: dict[str, set] = {code: set() for code in holds}
        details: dict[str, dict] = {code: {} for code in holds}
        for flag in self.new_flags:
            holds[flag.code].add(flag.client_id)
            raise_for[flag.code].add(flag.client_id)
            details[flag.code][flag.client_id] = flag.reason
        return [
            TaskCondition(
                kind=TaskKind.CHURN,
                code=code,
                holds=frozenset(holds[code]),
                raise_for=frozenset(raise_for[code]),
                details=details[code],
                due_days=TASK_DUE_DAYS.get(code, TASK_DUE_DAYS_DEFAULT),
            )
            for code in sorted(holds)
        ]


def churn_evaluate(
    *, branch_id: int, as_of: date, features: pd.DataFrame, policy: Policy
) -> ChurnOutcome:
    """The churn step of the nightly run: which flags fire, the risk score, new flags.

    Reads the flags open on D; writes nothing (the flags are raised by
    `churn_flags_raise` when the run swaps in). A trained model replacing the hand
    weights of the risk score plugs in here, in place of `churn_risk`.
    """
    open_flags = set(
        ChurnFlag.objects.filter(
            branch_id=branch_id, status=FlagStatus.OPEN, raised_on__lte=as_of
        ).values_list("client_id", "code")
    )
    flags = churn_flags(features, policy)
    risk = churn_risk(features, flags)
    is_open = features["is_open"].astype(bool)
    codes = {client_id: set() for client_id in features.index}
    for client_id, code in open_flags:
        if client_id in codes:
            codes[client_id].add(code)
    new = []
    with translation.override(settings.LANGUAGE_CODE):
        for code in flags.columns:
            action = suggested_action_text(code)
            for client_id in flags.index[flags[code].to_numpy()]:
                codes[client_id].add(code)
                if (client_id, code) in open_flags:
                    continue
                facts = flag_facts(code, features.loc[client_id])
                new.append(
                    ChurnFlag(
                        branch_id=branch_id,
                        client_id=int(client_id),
                        code=code,
                        raised_on=as_of,
                        facts=facts,
                        reason=reason_text(code, facts),
                        suggested_action=action,
                    )
                )
    joined = pd.Series(
        [";".join(sorted(codes[c])) for c in features.index], index=features.index
    ).where(is_open, "")
    return ChurnOutcome(
        flags=flags, risk=risk, codes=joined, open_flags=open_flags, new_flags=new
    )


def churn_flags_raise(*, run_id: int, outcome: ChurnOutcome) -> int:
    """Write the run's new flags (inside the run's swap transaction)."""
    for flag in outcome.new_flags:
        flag.run_id = run_id
    # ignore_conflicts: a flag raised meanwhile by another run is not doubled.
    ChurnFlag.objects.bulk_create(outcome.new_flags, ignore_conflicts=True)
    return len(outcome.new_flags)


@transaction.atomic
def churn_flag_resolve(
    *, user, flag_id: int, outcome: str, note: str = ""
) -> ChurnFlag:
    """Close an open flag with its outcome (retained / lost / not a risk).

    The flag's generated churn task is closed with it; the nightly run may raise the
    code again for the client from now on. ChurnFlag.DoesNotExist when `user` may not see the
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
