"""The churn risk judged on the future: a demo-like branch whose last 90 days are known
to us but not imported.

    .venv/bin/python bench/churn_future.py [--clients 2000] [--days 540] [--seed 42]

On the database of DATABASE_URL (a branch of its own, `--branch`, default HOLDOUT,
not used before: its points ledger is append-only): seeds the
branch with `seed_demo` up to D, notes what happened in D−89 … D (who closed, who had
a custody_out: the SPEC §3.3 label of the clients open at C = D − 90), then removes
every row dated after C — trades, trade days, balances, positions, cash flows,
interactions, feedback, the clients who opened after C, the closings after C — as
if the branch had imported data only up to C. (`--gap G`: C = D − 90 − G, judged on
C+1 … C+90: seed_demo's personas that make the rules fire on D act in its last 30
days, a custody_out with no sign before it among them.) Then, as the branch would:
`train_churn_model --branch HOLDOUT` and `export_churn --date C`, and measures the
ROC AUC of the exported risk against what then happened, beside the hand weights'
risk for C on the same clients.

The last line: RESULT future clients=N churners=P model=V auc_model=A auc_hand=H
top10_model=… top10_hand=… (V is `hand` when the model was not accepted).
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import log  # noqa: E402

BRANCH = "HOLDOUT"


def judge_on_future(
    *,
    clients: int,
    days: int,
    seed: int,
    end: date,
    branch_code: str = BRANCH,
    gap: int = 0,
) -> dict:
    """Seed, hold the last 90 (+ gap) days out, train and export as of the cut,
    measure on the 90 days after the cut."""
    import numpy as np
    import pandas as pd
    from django.core.management import call_command

    from advisors.models import Branch
    from churn.learning import measure
    from churn.training import HORIZON_DAYS, churn_events, labels, snapshot_features
    from tiers.selectors import policy_for

    cut = end - timedelta(days=HORIZON_DAYS + gap)
    call_command(
        "seed_demo",
        "--clients",
        str(clients),
        "--days",
        str(days),
        "--seed",
        str(seed),
        "--end",
        end.isoformat(),
        "--branch",
        branch_code,
        stdout=io.StringIO(),
    )
    branch = Branch.objects.get(code=branch_code)
    _, policy = policy_for(branch=branch)
    # What happened after the cut, to the clients open at it (known to us only).
    features, _, _ = snapshot_features(branch.pk, cut, policy)
    open_ids = features.index[features["is_open"].astype(bool)]
    closed, outs = churn_events(branch.pk)
    outcome = pd.Series(labels(open_ids, cut, closed, outs), index=open_ids)
    forget_after(branch, cut)
    out = io.StringIO()
    call_command("train_churn_model", "--branch", branch_code, stdout=out)
    trained = out.getvalue().strip().splitlines()[-1]
    csv = io.StringIO()
    call_command(
        "export_churn",
        "--date",
        cut.isoformat(),
        "--branch",
        branch_code,
        stdout=csv,
        stderr=io.StringIO(),
    )
    csv.seek(0)
    exported = pd.read_csv(csv, dtype={"client_no": str, "model": str})
    features, _, hand = snapshot_features(branch.pk, cut, policy)
    numbers = features["client_no"]
    risk = exported.set_index("client_no")["churn_risk"].reindex(numbers[open_ids])
    used = exported["model"].dropna().unique().tolist()
    y = outcome.to_numpy().astype(int)
    model_m = measure(y, risk.to_numpy(dtype="float64"))
    hand_m = measure(y, hand[open_ids].to_numpy(dtype="float64"))
    return {
        "cut": cut,
        "clients": len(open_ids),
        "churners": int(y.sum()),
        "model": used[0] if len(used) == 1 else ",".join(used),
        "trained": trained,
        "auc_model": model_m["roc_auc"],
        "auc_model_se": model_m["roc_auc_se"],
        "auc_hand": hand_m["roc_auc"],
        "auc_hand_se": hand_m["roc_auc_se"],
        "top10_model": model_m["top10"],
        "top10_hand": hand_m["top10"],
        "missing_risk": int(np.isnan(risk.to_numpy(dtype="float64")).sum()),
    }


def forget_after(branch, cut: date) -> None:
    """Remove what a branch importing up to `cut` could not yet have."""
    from django.db import transaction

    from clients.models import (
        Account,
        Balance,
        CashFlow,
        Client,
        Feedback,
        Interaction,
        Position,
        Trade,
        TradeDay,
    )

    with transaction.atomic():
        Trade.objects.filter(branch=branch, trade_date__gt=cut).delete()
        TradeDay.objects.filter(account__branch=branch, date__gt=cut).delete()
        Balance.objects.filter(account__branch=branch, date__gt=cut).delete()
        Position.objects.filter(account__branch=branch, date__gt=cut).delete()
        CashFlow.objects.filter(branch=branch, date__gt=cut).delete()
        Interaction.objects.filter(branch=branch, date__gt=cut).delete()
        Feedback.objects.filter(branch=branch, date__gt=cut).delete()
        Client.objects.filter(branch=branch, closed_at__gt=cut).update(closed_at=None)
        later = Client.objects.filter(branch=branch, opened_at__gt=cut)
        Client.objects.filter(branch=branch, referred_by__in=later).update(
            referred_by=None
        )
        Account.objects.filter(client__in=later).delete()
        later.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--days", type=int, default=540)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument(
        "--branch", default=BRANCH, help="a branch code not used yet in the database"
    )
    parser.add_argument(
        "--gap",
        type=int,
        default=0,
        help="days between the judged 90 days and the end of the seeded data "
        "(seed_demo's rule-firing personas act in its last 30 days)",
    )
    args = parser.parse_args()
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")
    import django

    django.setup()
    log(
        f"seeding {args.branch}: {args.clients} clients, {args.days} days to {args.end}"
    )
    found = judge_on_future(
        clients=args.clients,
        days=args.days,
        seed=args.seed,
        end=args.end,
        branch_code=args.branch,
        gap=args.gap,
    )
    log(f"trained on data up to {found['cut']}: {found['trained']}")
    log(
        f"exported risk at {found['cut']} for {found['clients']} open clients "
        f"({found['missing_risk']} without one); {found['churners']} churned within "
        f"90 days; AUC model {found['auc_model']} ± {found['auc_model_se']}, "
        f"hand {found['auc_hand']} ± {found['auc_hand_se']}"
    )
    print(
        f"RESULT future clients={found['clients']} churners={found['churners']} "
        f"model={found['model']} auc_model={found['auc_model']} "
        f"auc_hand={found['auc_hand']} top10_model={found['top10_model']} "
        f"top10_hand={found['top10_hand']}"
    )


if __name__ == "__main__":
    main()
