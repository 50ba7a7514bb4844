"""The advisor's book: clients in scope, each with its scores of the branch's current run.

The current run of a branch is its latest finished scoring run. Its per-client row is
joined in once (a filtered LEFT JOIN, not a subquery per column), so the book filters
and sorts on scores as cheaply as on the client's own columns, for one advisor's 2,000
clients or a manager's 50,000.
"""

from __future__ import annotations

from django.db.models import (
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from clients.models import CONTACT_CHANNELS, Client, Interaction
from clients.selectors import client_scope
from tiers.selectors import run_latest

#: Score columns of the current run exposed on every book row, as `<name>`.
SCORE_FIELDS = (
    "tier",
    "value_score",
    "contribution_score",
    "maturity_stage",
    "segment",
    "relationship_recommended",
    "relationship_fit",
    "contact_overdue",
    "risk_appetite",
    "suitability_warning",
    "trading_ability",
    "loyalty_type",
    "experience",
    "churn_risk",
)

#: Score columns whose names are taken on Client by a relation: (annotation, column).
RENAMED_SCORE_FIELDS = (("flag_codes", "churn_flags"), ("alert_codes", "alerts"))


def current_run_ids(branch_ids) -> list[int]:
    """The latest finished run of each branch (branches never scored are left out)."""
    runs = (run_latest(branch_id=branch_id) for branch_id in sorted(set(branch_ids)))
    return [run.pk for run in runs if run is not None]


def book_list(*, user, branch_ids=None) -> QuerySet[Client]:
    """Every client `user` may see, annotated with the current run's scores.

    Annotations: each of SCORE_FIELDS, `flag_codes` and `alert_codes` (the run's
    open churn flags and alerts, `;`-joined codes), `assets` (the run's features) and
    `last_contact` (the latest call, visit, email or message). A client with no row in
    the current run (a new client, or a branch never scored) has them all null.
    """
    clients = client_scope(user)
    if branch_ids is None:
        branch_ids = clients.order_by().values_list("branch_id", flat=True).distinct()
    # An empty IN () would make the whole LEFT JOIN's query empty; no run has id 0.
    run_ids = current_run_ids(branch_ids) or [0]
    last_contact = (
        Interaction.objects.filter(client=OuterRef("pk"), channel__in=CONTACT_CHANNELS)
        .order_by("-date")
        .values("date")[:1]
    )
    return (
        clients.select_related("advisor", "branch")
        .annotate(
            current=FilteredRelation("scores", condition=Q(scores__run_id__in=run_ids))
        )
        .annotate(
            **{name: F(f"current__{name}") for name in SCORE_FIELDS},
            **{name: F(f"current__{col}") for name, col in RENAMED_SCORE_FIELDS},
            assets=Cast(KeyTextTransform("assets", "current__features"), FloatField()),
            last_contact=Subquery(last_contact),
        )
    )
