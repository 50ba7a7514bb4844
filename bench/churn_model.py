"""Benchmark of the churn model's training against one nightly recompute of the branch.

    .venv/bin/python bench/churn_model.py [--clients 50000] [--months 24] [--reuse]

Empties (or creates) its own PostgreSQL database (default `brokercrm_churnbench`, or
BENCH_DATABASE_URL), migrates it and seeds one branch directly with COPY: clients
(some opened during the history), accounts, the benchmark index's closes, trades
(TradeDay rebuilt as every writer does), weekly balances, quarterly positions, cash
flows, interactions and feedback over `months` month ends plus the 90 days after the
last one. About a third of the clients leave (closed_at) at some day; most leavers show
signs in the weeks before (they stop trading, withdraw part of their money, complain,
move part of their holdings out), a fifth leave without any, and a few stayers show the
same signs and stay. Then, in the same run, each in a child process whose peak RSS is
measured:

- one nightly `recompute` of the branch for D (after a warm-up for D−1), and
- `churn_model_train` on the whole history (every source read once for the window,
  every labelled month end's features cut from it as of that day, the fit of both
  candidates, validation, calibration, importances).

`--reuse` skips the seeding and the warm-up: the database as a former run left it.

The last line: RESULT clients=N snapshots=S train_s=X auc_model=A auc_hand=H
peak_rss_mb=P (the training's peak RSS), with recompute_s and the ratio logged above.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    child_report,
    copy_frame,
    fresh_database,
    log,
    run_child,
    setup_django,
)

DEFAULT_URL = "postgres://brokercrm:brokercrm@127.0.0.1:5432/brokercrm_churnbench"
D = date(2026, 6, 30)


def _dates(days: pd.DatetimeIndex, index: np.ndarray) -> pd.Index:
    return days[index].strftime("%Y-%m-%d")


def seed(n: int, months: int, trades_per_client: float, rng) -> None:
    """One branch with `months` labelled month ends of history before D − 90."""
    from django.db import connection

    from advisors.models import Branch
    from clients.services import trade_days_refresh

    branch = Branch.objects.create(code="BENCH", name="Benchmark branch")
    bid = branch.pk
    # Day k is D − k; the history starts a little before the first month end.
    span = months * 31 + 90 + 40
    days = pd.to_datetime(D) - pd.to_timedelta(np.arange(0, span), unit="D")
    cur = connection.cursor().cursor

    log("seeding advisors, securities, index closes")
    n_adv = max(5, n // 1000)
    copy_frame(
        cur,
        "advisors_advisor",
        pd.DataFrame(
            {
                "id": np.arange(1, n_adv + 1),
                "branch_id": bid,
                "employee_no": [f"E{i:05d}" for i in range(n_adv)],
                "name": [f"Advisor {i}" for i in range(n_adv)],
                "role": "advisor",
                "email": "",
                "is_active": True,
            }
        ),
    )
    n_sec = 2000
    copy_frame(
        cur,
        "clients_security",
        pd.DataFrame(
            {
                "id": np.arange(1, n_sec + 2),
                "code": [f"{600000 + i}" for i in range(n_sec)] + ["000300"],
                "name": [f"S{i}" for i in range(n_sec)] + ["CSI 300"],
                "kind": ["stock"] * n_sec + ["index"],
                "industry": "",
                "listed_on": "2005-01-04",
            }
        ),
    )
    closes = 4000 * np.exp(np.cumsum(rng.normal(0, 0.01, span)))
    copy_frame(
        cur,
        "clients_price",
        pd.DataFrame(
            {
                "security_id": n_sec + 1,
                "date": days.strftime("%Y-%m-%d"),
                "close": closes.round(4),
            }
        ),
    )

    log("seeding clients: leavers, their signs, wobblers")
    # Ages in days before D: the client is alive on days k with end_k <= k <= start_k.
    start_k = np.where(
        rng.random(n) < 0.75,
        span + rng.integers(30, 3000, n),
        rng.integers(120, span, n),
    )
    leaves = rng.random(n) < 0.2
    leave_k = np.where(leaves, rng.integers(1, span - 60, n), -1)
    leave_k = np.where(leave_k >= start_k - 60, -1, leave_k)
    leaves = leave_k >= 0
    end_k = np.where(leaves, leave_k, 0)
    signed = np.where(leaves, rng.random(n) >= 0.2, rng.random(n) < 0.08)
    sign_to = np.where(leaves, leave_k, rng.integers(0, span - 150, n))
    sign_from = sign_to + rng.integers(40, 150, n)
    dormant = signed & (rng.random(n) < 0.7)
    outflow = signed & (rng.random(n) < 0.6)
    complain = signed & (rng.random(n) < 0.4)
    moves_out = signed & (rng.random(n) < 0.25)
    opened = pd.to_datetime(D) - pd.to_timedelta(start_k, unit="D")
    closed = pd.Series(pd.to_datetime(D) - pd.to_timedelta(leave_k, unit="D"))
    closed[~leaves] = pd.NaT
    copy_frame(
        cur,
        "clients_client",
        pd.DataFrame(
            {
                "id": np.arange(1, n + 1),
                "branch_id": bid,
                "client_no": [f"C{i:07d}" for i in range(n)],
                "name": [f"Client {i}" for i in range(n)],
                "kind": np.where(rng.random(n) < 0.03, "institution", "individual"),
                "gender": "",
                "id_number": "",
                "phone": "",
                "id_number_hash": "",  # lookup_hash of an empty value
                "phone_hash": "",
                "opened_at": opened.strftime("%Y-%m-%d"),
                "closed_at": closed.dt.strftime("%Y-%m-%d"),
                "advisor_id": rng.integers(1, n_adv + 1, n),
                "referred_by_id": None,
                "investing_since": None,
                "time_availability": "",
                "onsite": False,
                "relationship_level": "intermediary",
                "risk_level": "",
                "created_at": "2026-01-01 00:00:00+00",
                "updated_at": "2026-01-01 00:00:00+00",
            }
        ),
    )
    second = rng.random(n) < 0.05
    acc_client = np.concatenate([np.arange(n), np.flatnonzero(second)])
    n_acc = len(acc_client)
    copy_frame(
        cur,
        "clients_account",
        pd.DataFrame(
            {
                "id": np.arange(1, n_acc + 1),
                "branch_id": bid,
                "account_no": [f"88{i:08d}" for i in range(n_acc)],
                "client_id": acc_client + 1,
            }
        ),
    )
    a_start = np.minimum(start_k[acc_client], span - 1)
    a_end = end_k[acc_client]

    def alive(acc, k):
        return (k <= a_start[acc]) & (k >= a_end[acc])

    def quiet(acc, k):
        c = acc_client[acc]
        return dormant[c] & (k <= sign_from[c]) & (k >= sign_to[c])

    n_trades = int(n * trades_per_client)
    log(f"seeding {n_trades:,} trades")
    weight = rng.lognormal(0, 1.0, n_acc)
    weight[rng.random(n_acc) < 0.08] = 0
    weight /= weight.sum()
    t_acc = rng.choice(n_acc, int(n_trades * 1.4), p=weight)
    t_day = rng.integers(0, span, len(t_acc))
    keep = alive(t_acc, t_day) & ~quiet(t_acc, t_day)
    t_acc, t_day = t_acc[keep][:n_trades], t_day[keep][:n_trades]
    order = np.argsort(t_day[::-1], kind="stable")
    t_acc, t_day = t_acc[order], t_day[order]
    size = len(t_acc)
    quantity = rng.integers(1, 50, size) * 100
    price = rng.integers(500, 10000, size) / 100
    amount = (quantity * price).round(2)
    step = 1_000_000
    copy_sql = (
        "COPY clients_trade (branch_id, trade_id, trade_date, account_id, security_id,"
        " side, quantity, price, amount, commission, stamp_tax, transfer_fee,"
        " other_fees) FROM STDIN"
    )
    for lo in range(0, size, step):
        hi = min(size, lo + step)
        chunk = pd.DataFrame(
            {
                "branch_id": bid,
                "trade_id": np.char.add("T", np.arange(lo, hi).astype(str)),
                "trade_date": _dates(days, t_day[lo:hi]),
                "account_id": t_acc[lo:hi] + 1,
                "security_id": rng.integers(1, n_sec + 1, hi - lo),
                "side": np.where(rng.random(hi - lo) < 0.5, "B", "S"),
                "quantity": quantity[lo:hi],
                "price": price[lo:hi],
                "amount": amount[lo:hi],
                "commission": np.maximum(5, amount[lo:hi] * 0.00025).round(2),
                "stamp_tax": 0,
                "transfer_fee": 0,
                "other_fees": 0,
            }
        )
        buffer = io.StringIO()
        chunk.to_csv(buffer, sep="\t", header=False, index=False)
        with cur.copy(copy_sql) as copy:
            copy.write(buffer.getvalue())
        log(f"  {hi:,} trades")

    log("seeding balances, positions, cash flows")
    base = rng.lognormal(np.log(200_000), 1.2, n_acc)
    # The day (k) of the sign's withdrawal; assets fall by `cut` from then on.
    c_of = acc_client
    w_day = np.where(
        outflow[c_of],
        sign_to[c_of]
        + ((sign_from[c_of] - sign_to[c_of]) * rng.random(n_acc)).astype(int),
        -1,
    )
    cut = rng.uniform(0.3, 0.6, n_acc)
    weekly = np.arange(0, span, 7)
    frames = []
    for lo in range(0, n_acc, 10_000):
        accs = np.arange(lo, min(n_acc, lo + 10_000))
        acc = np.repeat(accs, len(weekly))
        k = np.tile(weekly, len(accs))
        ok = alive(acc, k)
        acc, k = acc[ok], k[ok]
        drift = np.exp(rng.normal(0, 0.002, len(acc)) * (span - k))
        total = base[acc] * drift
        total = np.where(
            (w_day[acc] >= 0) & (k <= w_day[acc]), total * (1 - cut[acc]), total
        )
        total = total.round(2)
        cash = (total * 0.2).round(2)
        frames.append(
            pd.DataFrame(
                {
                    "account_id": acc + 1,
                    "date": _dates(days, k),
                    "cash": cash,
                    "market_value": (total - cash).round(2),
                    "total_assets": total,
                }
            )
        )
    copy_frame(cur, "clients_balance", pd.concat(frames, ignore_index=True))
    quarterly = np.arange(0, span, 91)
    acc = np.repeat(np.arange(n_acc), len(quarterly) * 3)
    k = np.tile(np.repeat(quarterly, 3), n_acc)
    ok = alive(acc, k)
    acc, k = acc[ok], k[ok]
    slot = np.tile([0, 1, 2], len(acc) // 3 + 1)[: len(acc)]
    sec = (acc * 7 + slot * 131) % n_sec + 1
    mv = (base[acc] * 0.8 * rng.dirichlet([1, 1, 1], len(acc))[:, 0]).round(2)
    qty = np.maximum(100, (mv / 20).round(-2))
    positions = pd.DataFrame(
        {
            "account_id": acc + 1,
            "date": _dates(days, k),
            "security_id": sec,
            "quantity": qty,
            "cost_price": (mv / qty * rng.uniform(0.8, 1.4, len(mv))).round(4),
            "market_value": mv,
        }
    ).drop_duplicates(["account_id", "date", "security_id"])
    copy_frame(cur, "clients_position", positions)

    flows = []
    n_noise = n_acc * 6
    f_acc = rng.integers(0, n_acc, n_noise)
    f_day = rng.integers(0, span, n_noise)
    ok = alive(f_acc, f_day)
    f_acc, f_day = f_acc[ok], f_day[ok]
    flows.append(
        pd.DataFrame(
            {
                "account": f_acc,
                "day": f_day,
                "type": rng.choice(
                    ["deposit", "withdrawal", "custody_in", "custody_out"],
                    len(f_acc),
                    p=[0.48, 0.46, 0.04, 0.02],
                ),
                "amount": (base[f_acc] * rng.uniform(0.01, 0.2, len(f_acc))).round(2),
            }
        )
    )
    w = np.flatnonzero(w_day >= 0)
    flows.append(
        pd.DataFrame(
            {
                "account": w,
                "day": w_day[w],
                "type": "withdrawal",
                "amount": (base[w] * cut[w]).round(2),
            }
        )
    )
    m = np.flatnonzero(moves_out[c_of] & (a_start >= sign_from[c_of]))
    m_day = sign_to[c_of[m]] + rng.integers(5, 40, len(m))
    flows.append(
        pd.DataFrame(
            {
                "account": m,
                "day": m_day,
                "type": "custody_out",
                "amount": (base[m] * 0.3).round(2),
            }
        )
    )
    last = np.flatnonzero(leaves[c_of])
    flows.append(
        pd.DataFrame(
            {
                "account": last,
                "day": a_end[last] + 3,
                "type": np.where(
                    rng.random(len(last)) < 0.4, "custody_out", "withdrawal"
                ),
                "amount": (base[last] * 0.5).round(2),
            }
        )
    )
    flows = pd.concat(flows, ignore_index=True)
    flows = flows[flows["day"] < span]
    copy_frame(
        cur,
        "clients_cashflow",
        pd.DataFrame(
            {
                "branch_id": bid,
                "flow_id": np.char.add("F", np.arange(len(flows)).astype(str)),
                "account_id": flows["account"].to_numpy() + 1,
                "date": _dates(days, flows["day"].to_numpy()),
                "type": flows["type"].to_numpy(),
                "amount": flows["amount"].to_numpy(),
            }
        ),
    )

    log("seeding interactions and feedback")
    n_int = n * 8
    i_client = rng.integers(0, n, n_int)
    i_day = rng.integers(0, span, n_int)
    ok = (i_day <= np.minimum(start_k[i_client], span - 1)) & (i_day >= end_k[i_client])
    i_client, i_day = i_client[ok], i_day[ok]
    channels = rng.choice(
        ["call", "visit", "email", "message", "seminar", "survey", "complaint"],
        len(i_client),
        p=[0.4, 0.1, 0.1, 0.28, 0.06, 0.05, 0.01],
    )
    c = np.flatnonzero(complain)
    c_day = sign_to[c] + ((sign_from[c] - sign_to[c]) * rng.random(len(c))).astype(int)
    i_client = np.concatenate([i_client, c])
    i_day = np.concatenate([i_day, np.minimum(c_day, span - 1)])
    channels = np.concatenate([channels, np.full(len(c), "complaint")])
    copy_frame(
        cur,
        "clients_interaction",
        pd.DataFrame(
            {
                "id": np.arange(1, len(i_client) + 1),
                "branch_id": bid,
                "interaction_id": np.char.add(
                    "I", np.arange(len(i_client)).astype(str)
                ),
                "date": _dates(days, i_day),
                "client_id": i_client + 1,
                "advisor_id": rng.integers(1, n_adv + 1, len(i_client)),
                "channel": channels,
                "minutes": rng.integers(1, 60, len(i_client)),
                "summary": "",
            }
        ),
    )
    n_fb = n // 2
    fb_client = rng.integers(0, n, n_fb)
    fb_day = rng.integers(0, span, n_fb)
    ok = (fb_day <= np.minimum(start_k[fb_client], span - 1)) & (
        fb_day >= end_k[fb_client]
    )
    fb_client, fb_day = fb_client[ok], fb_day[ok]
    score = rng.choice([3, 4, 4, 5, 5], len(fb_client))
    unhappy = complain[fb_client] & (fb_day <= sign_from[fb_client])
    score = np.where(unhappy, rng.integers(1, 3, len(fb_client)), score)
    copy_frame(
        cur,
        "clients_feedback",
        pd.DataFrame(
            {
                "branch_id": bid,
                "feedback_id": np.char.add("FB", np.arange(len(fb_client)).astype(str)),
                "date": _dates(days, fb_day),
                "client_id": fb_client + 1,
                "topic": "satisfaction",
                "score": score,
                "comment": "",
            }
        ),
    )
    for table in (
        "advisors_advisor",
        "clients_security",
        "clients_client",
        "clients_account",
        "clients_interaction",
    ):
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608 # table names from the fixed tuple above
            f"(SELECT MAX(id) FROM {table}))"
        )
    log("rebuilding TradeDay (what every writer of trades does)")
    trade_days_refresh(branch_id=bid)
    cur.execute("VACUUM ANALYZE")


def child(url: str, what: str, day: str) -> None:
    """In a child process: one recompute for `day`, or one training."""
    setup_django(url)
    from advisors.models import Branch

    branch = Branch.objects.get(code="BENCH")
    started = time.perf_counter()
    if what == "recompute":
        from nightly.services import nightly_run

        run = nightly_run(branch=branch, as_of=date.fromisoformat(day))
        child_report(
            {"clients": run.clients, "timings": run.counts.get("timings")}, started
        )
        return
    from churn.services import churn_model_train

    timings: dict = {}
    model = churn_model_train(branch=branch, timings=timings)
    child_report(
        {
            "snapshots": model.snapshots,
            "rows": model.rows,
            "positives": model.positives,
            "kind": model.kind,
            "accepted": model.accepted,
            "reason": model.reason,
            "auc_model": model.auc_model,
            "auc_hand": model.auc_hand,
            "candidates": model.metrics.get("candidates"),
            "timings": timings,
        },
        started,
    )


def in_child(url: str, what: str, day: date) -> dict:
    return run_child(__file__, "--child", what, day.isoformat(), "--url", url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--trades-per-client", type=float, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="the database this script seeded (and warmed up for D-1) before, as is",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.url, *args.child)
        return

    if args.reuse:
        log(f"reusing {args.url.rsplit('/', 1)[1]} as seeded")
    else:
        fresh_database(args.url)
        started = time.perf_counter()
        seed(
            args.clients,
            args.months,
            args.trades_per_client,
            np.random.default_rng(args.seed),
        )
        log(f"seeded in {time.perf_counter() - started:.0f}s")
        from django.db import connection

        connection.close()
        log("warm-up recompute for D-1 (accrues the ledger's earlier points)")
        warm = in_child(args.url, "recompute", D - timedelta(days=1))
        log(f"warm-up took {warm['seconds']:.1f}s")
    recompute = in_child(args.url, "recompute", D)
    log(
        f"recompute for {D}: {recompute['clients']:,} clients in "
        f"{recompute['seconds']:.2f}s, peak RSS {recompute['peak_rss_mb']:.0f} MB"
    )
    train = in_child(args.url, "train", D)
    timings = train.pop("timings")
    fit = timings.pop("fit", None)
    load = timings.pop("load", None)
    cuts = sum(timings.values())
    log(
        f"training: {train['snapshots']} snapshots, {train['rows']:,} rows, "
        f"{train['positives']:,} churners; history read {load}s, features "
        f"{cuts:.1f}s ({cuts / max(1, len(timings)):.2f}s a snapshot), fit {fit}s; "
        f"{train['kind']} (candidates {train['candidates']}), accepted="
        f"{train['accepted']} {train['reason']}"
    )
    log(
        f"train_s / recompute_s = {train['seconds'] / recompute['seconds']:.2f} "
        f"(target <= 5); recompute_s={recompute['seconds']:.2f}"
    )
    print(
        f"RESULT clients={args.clients} snapshots={train['snapshots']} "
        f"train_s={train['seconds']:.1f} auc_model={train['auc_model']:.4f} "
        f"auc_hand={train['auc_hand']:.4f} peak_rss_mb={train['peak_rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
