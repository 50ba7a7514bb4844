"""Writes of the churn app: the nightly run's churn step (flags and the churn risk, from
the branch's accepted model or the policy's hand weights) raises the flags; an advisor
resolves a flag with an outcome; the branch's churn model is trained and stored."""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from datetime import date

import joblib
import numpy as np
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
from tiers.selectors import policy_for

from . import learning, training
from .labels import reason_text, suggested_action_text
from .models import (
    ChurnFlag,
    ChurnModel,
    ChurnScoring,
    FlagOutcome,
    FlagStatus,
    HandReason,
)
from .scoring import churn_flags, churn_risk, flag_facts
from .selectors import churn_flag_get, churn_model_active

log = logging.getLogger(__name__)

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
    model: ChurnModel | None = None  # the model that gave the risk (None: hand weights)
    fallback: str = ""  # why the hand weights scored although a model was accepted

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
    `churn_flags_raise` when the run swaps in). The risk comes from the branch's
    latest accepted churn model, else (none, or it fails) from the hand weights.
    """
    open_flags = set(
        ChurnFlag.objects.filter(
            branch_id=branch_id, status=FlagStatus.OPEN, raised_on__lte=as_of
        ).values_list("client_id", "code")
    )
    flags = churn_flags(features, policy)
    scorer = ChurnScorer(branch_id=branch_id, policy=policy, as_of=as_of)
    risk = scorer(features, flags)
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
        flags=flags,
        risk=risk,
        codes=joined,
        open_flags=open_flags,
        new_flags=new,
        model=scorer.used,
        fallback=scorer.fallback,
    )


def churn_flags_raise(*, run_id: int, outcome: ChurnOutcome) -> int:
    """Write the run's new flags and what scored its churn risk (inside the run's
    swap transaction)."""
    for flag in outcome.new_flags:
        flag.run_id = run_id
    # ignore_conflicts: a flag raised meanwhile by another run is not doubled.
    ChurnFlag.objects.bulk_create(outcome.new_flags, ignore_conflicts=True)
    ChurnScoring.objects.update_or_create(
        run_id=run_id, defaults={"model": outcome.model, "fallback": outcome.fallback}
    )
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


# --- the churn model -------------------------------------------------------------------


def _dump(estimator: learning.ChurnEstimator) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer, compress=3)
    return buffer.getvalue()


def churn_model_load(model: ChurnModel) -> learning.ChurnEstimator:
    """The stored estimator of a model (raises whatever unpickling raises)."""
    if not model.estimator:
        raise ValueError(f"churn model v{model.version} has no estimator")
    estimator = joblib.load(io.BytesIO(bytes(model.estimator)))
    if not isinstance(estimator, learning.ChurnEstimator):
        raise TypeError(f"churn model v{model.version} holds {type(estimator)!r}")
    return estimator


def churn_model_train(
    *, branch, data_through: date | None = None, timings: dict | None = None
) -> ChurnModel:
    """Train the branch's churn model on its history and store it (SPEC §3.3).

    The model is accepted — replaces the hand weights from the next scoring run on —
    only when its validation ROC AUC beats the hand weights' on the same snapshots and
    the labelled history holds at least `policy.churn.model_min_positives` churners;
    otherwise it is kept with the reason, and the hand weights stay.
    """
    started = time.monotonic()
    version, policy = policy_for(branch=branch)
    first, last = training.history_span(branch.pk)
    if data_through is not None and last is not None:
        last = min(last, data_through)
    snapshots = training.labelled_snapshots(first, last)
    fields = {"features": list(learning.FEATURES)}
    if snapshots:
        data = training.training_set(branch.pk, snapshots, policy, timings)
        mark = time.monotonic()
        result = learning.fit(data, training.HORIZON_DAYS)
        if timings is not None:
            timings["fit"] = round(time.monotonic() - mark, 3)
        fields.update(
            snapshots=len(result.snapshots),
            rows=result.rows,
            positives=result.positives,
            first_snapshot=snapshots[0],
            last_snapshot=snapshots[-1],
            validation_from=(
                result.validation_snapshots[0] if result.validation_snapshots else None
            ),
            metrics={
                **result.metrics,
                "train_positives": result.train_positives,
                "validation_positives": result.validation_positives,
                "train_snapshots": [str(s) for s in result.train_snapshots],
                "validation_snapshots": [str(s) for s in result.validation_snapshots],
            },
        )
        reason = _hand_reason(result, policy)
        if result.estimator is not None:
            fields["kind"] = result.estimator.kind
            fields["estimator"] = _dump(result.estimator)
    else:
        reason = HandReason.NO_HISTORY
    with transaction.atomic():
        latest = (
            ChurnModel.objects.select_for_update()
            .filter(branch=branch)
            .order_by("-version")
            .first()
        )
        model = ChurnModel.objects.create(
            branch=branch,
            version=(latest.version + 1) if latest else 1,
            data_through=last or timezone.localdate(),
            policy_version=version,
            accepted=reason == HandReason.NONE,
            reason=reason,
            duration_s=round(time.monotonic() - started, 3),
            **fields,
        )
    log.info(
        "churn model %s v%s: accepted=%s auc_model=%s auc_hand=%s",
        branch.code,
        model.version,
        model.accepted,
        model.auc_model,
        model.auc_hand,
    )
    return model


def _hand_reason(result: learning.Training, policy: Policy) -> str:
    if result.problem == "no_history":
        return HandReason.NO_HISTORY
    if result.problem:
        return HandReason.NO_CHURNERS
    if result.positives < policy.churn.model_min_positives:
        return HandReason.FEW_CHURNERS
    model, hand = result.metrics["model"], result.metrics["hand"]
    if model["roc_auc"] is None or hand["roc_auc"] is None:
        return HandReason.NO_CHURNERS
    # Clearly above chance: the one-sided 95% bound of its AUC is above 0.5.
    if model["roc_auc"] - 1.645 * model["roc_auc_se"] <= 0.5:
        return HandReason.NOT_CLEAR
    if model["roc_auc"] <= hand["roc_auc"]:
        return HandReason.NOT_BETTER
    return HandReason.NONE


class ChurnScorer:
    """The churn risk of a scoring run: the branch's accepted model, else the hand
    weights. A model that fails to load or to score falls back to the hand weights with
    a logged warning (`fallback` says why): never a failed night."""

    def __init__(self, *, branch_id: int, policy: Policy, as_of: date):
        self.policy = policy
        self.as_of = as_of
        self.model = churn_model_active(branch_id=branch_id)
        self.fallback = ""
        self.estimator = None
        if self.model is not None:
            try:
                self.estimator = churn_model_load(self.model)
            except Exception as exc:  # noqa: BLE001 - any unpickling error
                self._fail(f"could not load: {exc!r}")

    def _fail(self, why: str) -> None:
        log.warning(
            "churn model v%s: %s; the hand weights score this run",
            self.model.version,
            why,
        )
        self.fallback = f"churn model v{self.model.version} {why}"[:2000]
        self.estimator = None

    @property
    def used(self) -> ChurnModel | None:
        return self.model if self.estimator is not None else None

    def __call__(self, features: pd.DataFrame, flags: pd.DataFrame) -> pd.Series:
        hand = churn_risk(features, flags, self.policy)
        if self.estimator is None:
            return hand
        is_open = features["is_open"].astype(bool)
        try:
            matrix = learning.model_matrix(features, flags, hand, self.as_of)
            risk = pd.Series(self.estimator.risk(matrix), index=features.index)
            if not np.isfinite(risk[is_open]).all():
                raise ValueError("non-finite risk")
        except Exception as exc:  # noqa: BLE001 - a stored model from elsewhere
            self._fail(f"could not score: {exc!r}")
            return hand
        return risk.where(is_open)
