"""Benchmark: the nightly points accrual (SPEC §4) on a branch with years of history.

    .venv/bin/python bench/points.py [--clients 20000] [--trades 2000000]

Drops and re-creates its own PostgreSQL database (default `brokercrm_points_bench`, or
BENCH_DATABASE_URL), migrates it, seeds one branch with COPY (clients, accounts, trades
spread over three years, seminar/survey interactions, referrals with balances), then
times, in one run:

- the first accrual for D (every trade, activity and referral of three years, plus the
  FIFO expiry of everything older than 24 months),
- a re-run for D (must append 0 entries),
- the next night (D+1, one day of new trades),
- 200 sequential redemptions through `redemption_create`.

The last line: RESULT clients=N trades=M first_s=X entries=E rerun_s=Y rerun_entries=R
next_day_s=Z redeem_ms=W
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

ROOT = Path(__file__).resolve().parent.parent
D = date(2026, 3, 31)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def setup(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def copy_frame(cursor, table: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(frame), 500_000):
            buffer = io.StringIO()
            frame.iloc[start : start + 500_000].to_csv(
                buffer, sep="\t", header=False, index=False, na_rep="\\N"
            )
            copy.write(buffer.getvalue())


def seed(n_clients: int, n_trades: int, rng: np.random.Generator):
    from django.db import connection

    from advisors.models import Advisor, Branch
    from clients.models import Security

    branch = Branch.objects.create(code="PTS", name="Points benchmark")
    advisor = Advisor.objects.create(branch=branch, employee_no="E1", name="Bench")
    security = Security.objects.create(code="600000", name="Bench stock")
    cur = connection.cursor().cursor
    ids = np.arange(1, n_clients + 1)
    referred_by = np.where(
        (ids > 10) & (rng.random(n_clients) < 0.05), rng.integers(1, 10, n_clients), 0
    )
    copy_frame(
        cur,
        "clients_client",
        pd.DataFrame(
            {
                "id": ids,
                "branch_id": branch.pk,
                "client_no": [f"C{i:07d}" for i in ids],
                "name": [f"Client {i}" for i in ids],
                "kind": "individual",
                "gender": "",
                "id_number": "",
                "phone": "",
                "id_number_hash": "",  # lookup_hash of an empty value
                "phone_hash": "",
                "opened_at": "2020-01-02",
                "advisor_id": advisor.pk,
                "referred_by_id": pd.Series(referred_by).replace(0, None),
                "time_availability": "",
                "onsite": False,
                "relationship_level": "intermediary",
                "risk_level": "",
                "created_at": "2026-01-01 00:00:00+00",
                "updated_at": "2026-01-01 00:00:00+00",
            }
        ),
    )
    copy_frame(
        cur,
        "clients_account",
        pd.DataFrame(
            {
                "id": ids,
                "branch_id": branch.pk,
                "account_no": [f"88{i:08d}" for i in ids],
                "client_id": ids,
            }
        ),
    )
    start = pd.Timestamp(D) - pd.Timedelta(days=3 * 365)
    days = start + pd.to_timedelta(rng.integers(0, 3 * 365 + 1, n_trades), unit="D")
    copy_frame(
        cur,
        "clients_trade",
        pd.DataFrame(
            {
                "branch_id": branch.pk,
                "trade_id": [f"T{i:09d}" for i in range(n_trades)],
                "trade_date": days.strftime("%Y-%m-%d"),
                "account_id": rng.integers(1, n_clients + 1, n_trades),
                "security_id": security.pk,
                "side": "B",
                "quantity": 100,
                "price": 10,
                "amount": 1000,
                "commission": np.round(rng.gamma(2.0, 15.0, n_trades), 2),
                "stamp_tax": 0,
                "transfer_fee": 0,
                "other_fees": 0,
            }
        ),
    )
    n_acts = n_clients
    act_days = start + pd.to_timedelta(rng.integers(0, 3 * 365, n_acts), unit="D")
    copy_frame(
        cur,
        "clients_interaction",
        pd.DataFrame(
            {
                "branch_id": branch.pk,
                "interaction_id": [f"I{i:08d}" for i in range(n_acts)],
                "date": act_days.strftime("%Y-%m-%d"),
                "client_id": rng.integers(1, n_clients + 1, n_acts),
                "channel": rng.choice(["seminar", "survey", "call"], n_acts),
                "minutes": 30,
                "summary": "",
            }
        ),
    )
    referred = ids[referred_by > 0]
    copy_frame(
        cur,
        "clients_balance",
        pd.DataFrame(
            {
                "account_id": referred,
                "date": "2025-06-30",
                "cash": 0,
                "market_value": 20000,
                "total_assets": 20000,
            }
        ),
    )
    cur.execute("ANALYZE")
    return branch, advisor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--trades", type=int, default=2_000_000)
    args = parser.parse_args()
    url = os.environ.get(
        "BENCH_DATABASE_URL",
        "postgres://brokercrm:brokercrm@127.0.0.1:5432/brokercrm_points_bench",
    )
    log(f"database {url.rsplit('/', 1)[1]}: migrating")
    setup(url)
    rng = np.random.default_rng(7)
    log(f"seeding {args.clients} clients, {args.trades} trades")
    branch, advisor = seed(args.clients, args.trades, rng)

    from decimal import Decimal

    from django.db import connection

    from advisors.models import Role, User
    from clients.models import Client, Trade
    from loyalty.models import CatalogueItem, PointsEntry
    from loyalty.services import points_accrue, redemption_create
    from tiers.policy import Policy

    policy = Policy()
    log("first accrual")
    started = time.perf_counter()
    first = points_accrue(branch=branch, as_of=D, policy=policy)
    first_s = time.perf_counter() - started
    log(f"  {first} in {first_s:.1f}s")
    entries = PointsEntry.objects.count()

    started = time.perf_counter()
    rerun = points_accrue(branch=branch, as_of=D, policy=policy)
    rerun_s = time.perf_counter() - started
    log(f"re-run: {rerun} in {rerun_s:.1f}s")

    next_day = D + timedelta(days=1)
    Trade.objects.bulk_create(
        Trade(
            branch=branch,
            trade_id=f"N{i:07d}",
            trade_date=next_day,
            account_id=1 + i % args.clients,
            security_id=Trade.objects.values_list("security_id", flat=True).first(),
            side="S",
            quantity=100,
            price=10,
            amount=1000,
            commission=Decimal("12.34"),
        )
        for i in range(args.trades // (3 * 365))
    )
    started = time.perf_counter()
    nxt = points_accrue(branch=branch, as_of=next_day, policy=policy)
    next_s = time.perf_counter() - started
    log(f"next day: {nxt} in {next_s:.1f}s")

    user = User.objects.create(username="bench", role=Role.MANAGER, branch=branch)
    item = CatalogueItem.objects.create(code="bench", name="Bench", points_price=1)
    clients = list(Client.objects.filter(branch=branch).order_by("pk")[:200])
    started = time.perf_counter()
    for i, client in enumerate(clients):
        redemption_create(
            user=user, client=client, item=item, idempotency_key=f"b{i}", on=next_day
        )
    redeem_ms = (time.perf_counter() - started) / len(clients) * 1000
    connection.close()
    print(
        f"RESULT clients={args.clients} trades={args.trades} first_s={first_s:.1f} "
        f"entries={entries} rerun_s={rerun_s:.2f} rerun_entries={rerun['entries']} "
        f"next_day_s={next_s:.2f} redeem_ms={redeem_ms:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
