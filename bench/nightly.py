"""Benchmark of the nightly recompute against the fastest SQL for the trade features.

    .venv/bin/python bench/nightly.py [--clients 50000] [--trades 10000000]

Empties (or creates) its own PostgreSQL database (default `brokercrm_nightly`, or
BENCH_DATABASE_URL), migrates it, seeds one branch directly with COPY (clients,
accounts, securities, index closes, trades, a year of weekly balances for every
account and daily ones for a sample, positions, cash flows, interactions with
recommendations, feedback), rebuilds TradeDay the way every writer of trades does,
and runs one warm-up recompute for D−1 (so the loyalty ledger holds the points of
earlier days, as it would on any night but the first). Then, in the same run, it times

- the reference: the two-level GROUP BY (account, trade_date) then account over the
  whole trades table (sum commission, count, distinct trade dates, max date, sum
  amount), and
- `recompute` for D, after D's trades (about 26,000 at the default size, kept aside
  by the seed) arrived as the day's import writes them, at the table's end with their
  day totals and change log: the whole pipeline (points accrual, every source, every
  classification, flags, tasks, results written), in a child process whose peak RSS
  is measured.

The last line: RESULT clients=N trades=M recompute_s=X reference_s=Y ratio=R
peak_rss_mb=P
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

DEFAULT_URL = "postgres://brokercrm:brokercrm@127.0.0.1:5432/brokercrm_nightly"
D = date(2026, 6, 30)
REFERENCE_SQL = """
SELECT account_id, SUM(commission), SUM(n), COUNT(*), MAX(trade_date), SUM(amount)
FROM (
    SELECT account_id, trade_date, SUM(commission) AS commission, COUNT(*) AS n,
           SUM(amount) AS amount
    FROM clients_trade GROUP BY account_id, trade_date
) AS days
GROUP BY account_id
"""


TRADE_COLUMNS = (
    "branch_id, trade_id, trade_date, account_id, security_id, side, quantity, price,"
    " amount, commission, stamp_tax, transfer_fee, other_fees"
)
ARRIVALS_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_arrivals AS "  # nosec B608 # constant columns
    f"SELECT {TRADE_COLUMNS} FROM clients_trade WITH NO DATA"
)


def seed(n_clients: int, n_trades: int, rng: np.random.Generator) -> None:
    """One branch of n_clients with n_trades trades over the year ending at D."""
    from django.db import connection

    from advisors.models import Branch
    from clients.services import trade_days_refresh

    branch = Branch.objects.create(code="BENCH", name="Benchmark branch")
    bid = branch.pk
    days = pd.to_datetime(D) - pd.to_timedelta(np.arange(0, 400), unit="D")
    cur = connection.cursor().cursor  # the psycopg cursor, for COPY

    log("seeding advisors, securities, prices")
    n_adv = max(5, n_clients // 1000)
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
    n_stock, n_fund, n_bond = 3000, 200, 100
    n_sec = n_stock + n_fund + n_bond
    kinds = ["stock"] * n_stock + ["fund"] * n_fund + ["bond"] * n_bond + ["index"]
    listed = pd.to_datetime("2005-01-01") + pd.to_timedelta(
        rng.integers(0, 7000, n_sec + 1), unit="D"
    )
    # A few recent listings: new issues bought in w90.
    recent = rng.choice(n_stock, 60, replace=False)
    listed = np.array(listed.to_numpy())
    listed[recent] = (
        pd.to_datetime(D) - pd.to_timedelta(rng.integers(30, 500, 60), unit="D")
    ).to_numpy()
    securities = pd.DataFrame(
        {
            "id": np.arange(1, n_sec + 2),
            "code": [f"{600000 + i}" for i in range(n_sec)] + ["000300"],
            "name": [f"S{i}" for i in range(n_sec)] + ["CSI 300"],
            "kind": kinds,
            "industry": "",
            "listed_on": pd.Series(listed).dt.strftime("%Y-%m-%d"),
        }
    )
    copy_frame(cur, "clients_security", securities)
    index_id = n_sec + 1
    closes = 4000 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    copy_frame(
        cur,
        "clients_price",
        pd.DataFrame(
            {
                "security_id": index_id,
                "date": days.strftime("%Y-%m-%d"),
                "close": closes.round(4),
            }
        ),
    )

    log("seeding clients and accounts")
    n = n_clients
    opened = pd.to_datetime(D) - pd.to_timedelta(rng.integers(0, 3650, n), unit="D")
    closed = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    closing = rng.random(n) < 0.01
    closed[closing] = pd.to_datetime(D) - pd.to_timedelta(
        rng.integers(0, 20, closing.sum()), unit="D"
    )
    closed = closed.where(closed >= pd.Series(opened), pd.NaT)
    levels = rng.choice(
        ["intermediary", "priority", "partnership", "alliance"],
        n,
        p=[0.8, 0.12, 0.06, 0.02],
    )
    referred = np.where(rng.random(n) < 0.03, rng.integers(1, n + 1, n), 0)
    clients = pd.DataFrame(
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
            "referred_by_id": pd.array(referred, dtype="Int64").astype(object),
            "investing_since": None,
            "time_availability": "",
            "onsite": False,
            "relationship_level": levels,
            "risk_level": rng.choice(["", "C1", "C2", "C3", "C4", "C5"], n),
            "created_at": "2026-01-01 00:00:00+00",
            "updated_at": "2026-01-01 00:00:00+00",
        }
    )
    clients.loc[clients["referred_by_id"] == 0, "referred_by_id"] = None
    copy_frame(cur, "clients_client", clients)
    second = rng.random(n) < 0.05
    account_client = np.concatenate([np.arange(1, n + 1), np.flatnonzero(second) + 1])
    n_acc = len(account_client)
    copy_frame(
        cur,
        "clients_account",
        pd.DataFrame(
            {
                "id": np.arange(1, n_acc + 1),
                "branch_id": bid,
                "account_no": [f"88{i:08d}" for i in range(n_acc)],
                "client_id": account_client,
            }
        ),
    )

    log(f"seeding {n_trades:,} trades")
    weight = rng.lognormal(0, 1.2, n_acc)
    weight[rng.random(n_acc) < 0.10] = 0  # accounts that never trade
    weight /= weight.sum()
    dormant = rng.random(n_acc) < 0.05
    n_days = max(1, n_trades // 4)
    cd_acc = rng.choice(n_acc, n_days, p=weight)
    cd_day = np.where(
        dormant[cd_acc], rng.integers(91, 365, n_days), rng.integers(0, 365, n_days)
    )
    pairs = np.unique(cd_acc.astype(np.int64) * 1000 + cd_day)
    cd_acc, cd_day = pairs // 1000, pairs % 1000
    pick = rng.integers(0, len(pairs), n_trades)
    quantity = rng.integers(1, 50, n_trades) * 100
    security = rng.integers(1, n_stock + n_fund + 1, n_trades)
    step = 1_000_000
    # D's trades are the night's arrivals: kept aside, imported after the run for
    # D-1 (`arrive`), as the back office's file of the day is.
    cur.execute(ARRIVALS_TABLE_SQL)
    d_text = D.isoformat()
    for start in range(0, n_trades, step):
        stop = min(n_trades, start + step)
        size = stop - start
        price = rng.integers(500, 10000, size) / 100
        amount = (quantity[start:stop] * price).round(2)
        chunk = pd.DataFrame(
            {
                "branch_id": bid,
                "trade_id": np.char.add("T", np.arange(start, stop).astype(str)),
                "trade_date": days[cd_day[pick[start:stop]]].strftime("%Y-%m-%d"),
                "account_id": cd_acc[pick[start:stop]] + 1,
                "security_id": security[start:stop],
                "side": np.where(rng.random(size) < 0.5, "B", "S"),
                "quantity": quantity[start:stop],
                "price": price,
                "amount": amount,
                "commission": np.maximum(5, amount * 0.00025).round(2),
                "stamp_tax": 0,
                "transfer_fee": 0,
                "other_fees": 0,
            }
        )
        arriving = (chunk["trade_date"] == d_text).to_numpy()
        for table, rows in (
            ("clients_trade", chunk[~arriving]),
            ("bench_arrivals", chunk[arriving]),
        ):
            buffer = io.StringIO()
            rows.to_csv(buffer, sep="\t", header=False, index=False)
            with cur.copy(f"COPY {table} ({TRADE_COLUMNS}) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
        log(f"  {stop:,} trades")

    log("seeding balances, positions, cash flows, interactions, feedback")
    base = rng.lognormal(np.log(200_000), 1.3, n_acc)
    weekly = np.arange(0, 371, 7)
    sample = np.flatnonzero(rng.random(n_acc) < 0.05)
    daily = np.setdiff1d(np.arange(0, 365), weekly)
    bal_acc = np.concatenate(
        [np.repeat(np.arange(n_acc), len(weekly)), np.repeat(sample, len(daily))]
    )
    bal_day = np.concatenate([np.tile(weekly, n_acc), np.tile(daily, len(sample))])
    drift = np.exp(rng.normal(0, 0.002, len(bal_acc)) * bal_day)
    total = (base[bal_acc] * drift).round(2)
    copy_frame(
        cur,
        "clients_balance",
        pd.DataFrame(
            {
                "account_id": bal_acc + 1,
                "date": days[bal_day].strftime("%Y-%m-%d"),
                "cash": (total * 0.2).round(2),
                "market_value": (total - (total * 0.2).round(2)).round(2),
                "total_assets": total,
            }
        ),
    )
    pos_acc = np.repeat(np.arange(n_acc), 6)
    pos_day = np.tile([0, 0, 0, 7, 7, 7], n_acc)
    pos_sec = np.tile([0, 1, 2, 0, 1, 2], n_acc) + rng.integers(
        1, n_sec - 3, n_acc
    ).repeat(6)
    share = rng.dirichlet([1, 1, 1], n_acc).ravel()
    share = np.concatenate([share.reshape(-1, 3), share.reshape(-1, 3)], axis=1).ravel()
    mv = (base[pos_acc] * 0.8 * share).round(2)
    qty = np.maximum(100, (mv / 20).round(-2))
    copy_frame(
        cur,
        "clients_position",
        pd.DataFrame(
            {
                "account_id": pos_acc + 1,
                "date": days[pos_day].strftime("%Y-%m-%d"),
                "security_id": pos_sec,
                "quantity": qty,
                "cost_price": (mv / qty * rng.uniform(0.8, 1.4, len(mv))).round(4),
                "market_value": mv,
            }
        ),
    )
    n_flows = n_acc * 5
    flow_acc = rng.integers(0, n_acc, n_flows)
    copy_frame(
        cur,
        "clients_cashflow",
        pd.DataFrame(
            {
                "branch_id": bid,
                "flow_id": np.char.add("F", np.arange(n_flows).astype(str)),
                "account_id": flow_acc + 1,
                "date": days[rng.integers(0, 365, n_flows)].strftime("%Y-%m-%d"),
                "type": rng.choice(
                    ["deposit", "withdrawal", "custody_in", "custody_out"],
                    n_flows,
                    p=[0.45, 0.45, 0.07, 0.03],
                ),
                "amount": (base[flow_acc] * rng.uniform(0.01, 0.6, n_flows)).round(2),
            }
        ),
    )
    n_int = n * 4
    channels = rng.choice(
        ["call", "visit", "email", "message", "seminar", "survey", "complaint"],
        n_int,
        p=[0.4, 0.1, 0.1, 0.25, 0.07, 0.06, 0.02],
    )
    interactions = pd.DataFrame(
        {
            "id": np.arange(1, n_int + 1),
            "branch_id": bid,
            "interaction_id": np.char.add("I", np.arange(n_int).astype(str)),
            "date": days[rng.integers(0, 365, n_int)].strftime("%Y-%m-%d"),
            "client_id": rng.integers(1, n + 1, n_int),
            "advisor_id": rng.integers(1, n_adv + 1, n_int),
            "channel": channels,
            "minutes": rng.integers(1, 60, n_int),
            "summary": "",
        }
    )
    copy_frame(cur, "clients_interaction", interactions)
    recommending = np.flatnonzero(rng.random(n_int) < 0.1)
    copy_frame(
        cur,
        "clients_interaction_recommended",
        pd.DataFrame(
            {
                "interaction_id": recommending + 1,
                "security_id": rng.integers(1, n_stock + 1, len(recommending)),
            }
        ),
    )
    n_fb = n // 3
    copy_frame(
        cur,
        "clients_feedback",
        pd.DataFrame(
            {
                "branch_id": bid,
                "feedback_id": np.char.add("FB", np.arange(n_fb).astype(str)),
                "date": days[rng.integers(0, 365, n_fb)].strftime("%Y-%m-%d"),
                "client_id": rng.integers(1, n + 1, n_fb),
                "topic": "satisfaction",
                "score": rng.integers(1, 6, n_fb),
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
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # nosec B608 # identifiers from model _meta, values bound
            f"(SELECT MAX(id) FROM {table}))"
        )
    log("rebuilding TradeDay (what every writer of trades does)")
    trade_days_refresh(branch_id=bid)
    cur.execute("VACUUM ANALYZE")


def set_aside_arrivals(url: str) -> None:
    """Before the run for D-1: D's trades are not in the trade table yet.

    A database seeded by this script keeps them aside (`bench_arrivals`); one seeded
    before it did had them in the table, scattered among the year's trades: they are
    moved aside once and the table rewritten without them. A database used before
    holds the last run's arrivals at the table's end: deleted (the ledger keeps their
    old earnings; the figures timed here do not read them).
    """
    from django.db import connection

    from advisors.models import Branch
    from clients.services import trade_days_refresh

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_arrivals') IS NOT NULL")
        kept = cursor.fetchone()[0]
        if not kept:
            cursor.execute(ARRIVALS_TABLE_SQL)
            cursor.execute(
                f"INSERT INTO bench_arrivals SELECT {TRADE_COLUMNS} FROM clients_trade"  # noqa: S608 # nosec B608: constant
                " WHERE trade_date = %s ORDER BY id",
                [D],
            )
        cursor.execute("DELETE FROM clients_trade WHERE trade_date = %s", [D])
        deleted = cursor.rowcount
    if deleted:
        branch = Branch.objects.get(code="BENCH")
        trade_days_refresh(branch_id=branch.pk, dates=[D])
        connection.close()
        log(f"{deleted:,} trades of {D} set aside until the run for D-1 is done")
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "VACUUM clients_trade" if kept else "VACUUM FULL clients_trade"
            )


def arrive() -> int:
    """The night's arrivals: D's trades written after the run for D-1, in one
    transaction with their day totals and change log, as the trade import does."""
    from django.db import connection, transaction

    from advisors.models import Branch
    from clients.services import trade_days_refresh

    branch = Branch.objects.get(code="BENCH")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO clients_trade ({TRADE_COLUMNS}) "  # noqa: S608 # nosec B608: constant
            f"SELECT {TRADE_COLUMNS} FROM bench_arrivals ORDER BY trade_id"
        )
        count = cursor.rowcount
        trade_days_refresh(branch_id=branch.pk, dates=[D])
    connection.close()
    log(f"{count:,} trades of {D} arrived in {time.perf_counter() - started:.1f}s")
    return count


def reference_seconds(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        # The same session settings the pipeline's reads get (tiers.features).
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET jit = off")
        started = time.perf_counter()
        rows = conn.execute(REFERENCE_SQL).fetchall()
        elapsed = time.perf_counter() - started
    log(f"reference: {len(rows):,} accounts in {elapsed:.2f}s")
    return elapsed


def child_recompute(url: str, day: str) -> None:
    """In a child process: time one recompute of the benchmark branch."""
    setup_django(url)
    from advisors.models import Branch
    from nightly.services import nightly_run

    branch = Branch.objects.get(code="BENCH")
    started = time.perf_counter()
    run = nightly_run(branch=branch, as_of=date.fromisoformat(day))
    child_report(
        {"clients": run.clients, "timings": run.counts.get("timings")}, started
    )


def recompute_in_child(url: str, day: date) -> dict:
    return run_child(__file__, "--child-recompute", day.isoformat(), "--url", url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--trades", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a database this script seeded before (migrated, not re-seeded)",
    )
    parser.add_argument("--child-recompute", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_recompute:
        child_recompute(args.url, args.child_recompute)
        return

    if args.reuse:
        setup_django(args.url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        fresh_database(args.url)
    from advisors.models import Branch

    if args.reuse and Branch.objects.filter(code="BENCH").exists():
        from loyalty.models import AccrualRun

        # The ledger keeps its points, but the accrual forgets how far it read: the
        # warm-up re-reads every trade (earning nothing new); D's trades arrive again
        # after it, with new ids (earning again: the figures are times, not points).
        AccrualRun.objects.all().delete()
        log("reusing the seeded database (--reuse): accrual watermarks reset")
    else:
        started = time.perf_counter()
        seed(args.clients, args.trades, np.random.default_rng(args.seed))
        log(f"seeded in {time.perf_counter() - started:.0f}s")

    from django.db import connection

    set_aside_arrivals(args.url)
    connection.close()
    log("warm-up recompute for D-1 (accrues the ledger's earlier points)")
    warm = recompute_in_child(args.url, D - timedelta(days=1))
    log(f"warm-up took {warm['seconds']:.1f}s")
    # Between two nights autovacuum has analysed what the last one wrote (scores,
    # tasks, flags, ledger entries, history); right after the warm-up it has not, and
    # the planner would plan D's run on the statistics of the tables before it.
    import psycopg

    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log("VACUUM ANALYZE after the warm-up (what autovacuum does between nights)")
    arrive()
    reference_seconds(args.url)  # warm the cache for both
    reference = reference_seconds(args.url)
    report = recompute_in_child(args.url, D)
    peak_mb = report["peak_rss_mb"]
    seconds = report["seconds"]
    log(f"recompute for {D}: {report['clients']:,} clients in {seconds:.2f}s")
    if report.get("timings"):
        log(
            "phases: "
            + ", ".join(f"{k} {v:.2f}s" for k, v in report["timings"].items())
        )
    print(
        f"RESULT clients={args.clients} trades={args.trades} "
        f"recompute_s={seconds:.2f} reference_s={reference:.2f} "
        f"ratio={seconds / reference:.2f} peak_rss_mb={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
