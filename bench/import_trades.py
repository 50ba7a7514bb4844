"""Benchmark: importing a trade file against the machine's raw COPY limit.

    DATABASE_URL=postgres://… python bench/import_trades.py [--rows N]

Generates a trade file of N rows (default 1,000,000) for a bench branch, then in one
run: loads it with a raw COPY into a minimal reference table (the same columns, primary
key on trade_id, one index on the account: the physical limit of this machine);
imports it through `manage.py import_file`; imports the same rows again, shuffled into
a new file so the checksum shortcut does not apply (all duplicates); and imports 10,000
rows through the django-import-export resource's default path, for comparison.
The last line is machine-readable:

    RESULT rows=N import_rows_per_s=X copy_rows_per_s=Y ratio=R reimport_ratio=Q
    peak_rss_mb=M ie_rows_per_s=Z

Needs PostgreSQL (its own database: the bench branch's trades are replaced).
"""

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")

BRANCH = "BENCH"
HEADER = (
    "trade_id,trade_date,account_no,code,name,side,quantity,price,amount,"
    "commission,stamp_tax,transfer_fee,other_fees\n"
)
CHUNK = 100_000
IE_ROWS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--securities", type=int, default=3_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/import_trades.py needs DATABASE_URL pointing at PostgreSQL")
    call_command("migrate", verbosity=0)
    n = args.rows
    branch, account_nos, codes = _setup(args.accounts, args.securities)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        path = Path(tmp) / "trades.csv"
        shuffled = Path(tmp) / "trades_shuffled.csv"
        t = time.perf_counter()
        _write(path, np.arange(n), account_nos, codes, "BT")
        _write(
            shuffled, np.random.default_rng(7).permutation(n), account_nos, codes, "BT"
        )
        print(f"generated 2 × {n:,} rows in {time.perf_counter() - t:.1f}s", flush=True)

        copy_s = _reference_copy(path)
        copy_rps = n / copy_s
        print(
            f"raw COPY into the reference table: {copy_s:.2f}s, {copy_rps:,.0f} rows/s"
        )

        import_s = _import(call_command, path, expect_new=n)
        import_rps = n / import_s
        print(f"import_file: {import_s:.2f}s, {import_rps:,.0f} rows/s")

        reimport_s = _import(call_command, shuffled, expect_new=0)
        reimport_rps = n / reimport_s
        print(
            f"re-import (all duplicates): {reimport_s:.2f}s, {reimport_rps:,.0f} rows/s"
        )

        ie_rows = min(IE_ROWS, n)
        ie_path = Path(tmp) / "ie.csv"
        _write(
            ie_path, np.arange(ie_rows), account_nos, codes, "IE", branch_column=True
        )
        ie_s = _ie_import(ie_path)
        ie_rps = ie_rows / ie_s
        print(f"django-import-export default import: {ie_s:.2f}s, {ie_rps:,.0f} rows/s")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RESULT rows={n} import_rows_per_s={import_rps:.0f} "
        f"copy_rows_per_s={copy_rps:.0f} ratio={import_rps / copy_rps:.2f} "
        f"reimport_ratio={reimport_rps / copy_rps:.2f} peak_rss_mb={peak_mb:.0f} "
        f"ie_rows_per_s={ie_rps:.0f}"
    )


def _setup(n_accounts: int, n_securities: int):
    """A bench branch with accounts and securities, and no trades."""
    from django.db import connection, transaction

    from advisors.models import Branch
    from brokercrm.db import copy_rows
    from clients.models import Account, Client, Security, Trade, TradeDay
    from imports.models import ImportBatch

    branch, _ = Branch.objects.get_or_create(code=BRANCH, defaults={"name": "Bench"})
    with transaction.atomic():
        TradeDay.objects.filter(account__branch=branch).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {Trade._meta.db_table} WHERE branch_id = %s",  # nosec B608 # identifiers from model _meta, values bound
                [branch.pk],
            )
        ImportBatch.objects.filter(branch=branch).delete()
        account_nos = [f"BA{i:08d}" for i in range(n_accounts)]
        have = set(
            Account.objects.filter(branch=branch).values_list("account_no", flat=True)
        )
        if len(have) < n_accounts:
            client, _ = Client.objects.get_or_create(
                branch=branch, client_no="BENCH-1", defaults={"name": "Bench client"}
            )
            copy_rows(
                Account,
                ["branch_id", "account_no", "client_id"],
                ((branch.pk, no, client.pk) for no in account_nos if no not in have),
            )
        codes = [f"BS{i:06d}" for i in range(n_securities)]
        known = set(
            Security.objects.filter(code__startswith="BS").values_list(
                "code", flat=True
            )
        )
        Security.objects.bulk_create(
            [Security(code=c, name=f"Bench {c}") for c in codes if c not in known],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Trade._meta.db_table}")
    return branch, np.array(account_nos, dtype=object), np.array(codes, dtype=object)


def _write(path, index, account_nos, codes, prefix, *, branch_column=False):
    """Trade rows that pass every check; row i is the same whichever file it is in."""
    today = dt.date.today()
    first_day = today - dt.timedelta(days=730)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(("branch," if branch_column else "") + HEADER)
        for start in range(0, len(index), CHUNK):
            i = index[start : start + CHUNK].astype(np.int64)
            days = (i * 7919) % 720
            dates = np.array(
                [
                    (first_day + dt.timedelta(days=int(d))).isoformat()
                    for d in range(720)
                ],
                dtype=object,
            )[days]
            quantity = ((i * 31) % 50 + 1) * 100
            cents = (i * 104729) % 9000 + 200  # price 2.00 … 91.99
            amount_cents = quantity * cents
            commission_cents = np.maximum(amount_cents * 3 // 10000, 500)
            sell = (i % 2) == 1
            stamp_cents = np.where(sell, amount_cents // 2000, 0)
            lines = []
            for k in range(len(i)):
                amount = amount_cents[k]
                lines.append(
                    ("BENCH," if branch_column else "")
                    + f"{prefix}{i[k]:010d},{dates[k]},"
                    f"{account_nos[(i[k] * 17) % len(account_nos)]},"
                    f"{codes[(i[k] * 13) % len(codes)]},,"
                    f"{'S' if sell[k] else 'B'},{quantity[k]},"
                    f"{cents[k] // 100}.{cents[k] % 100:02d},"
                    f"{amount // 100}.{amount % 100:02d},"
                    f"{commission_cents[k] // 100}.{commission_cents[k] % 100:02d},"
                    f"{stamp_cents[k] // 100}.{stamp_cents[k] % 100:02d},0.00,0\n"
                )
            f.write("".join(lines))


def _reference_copy(path) -> float:
    """Seconds to COPY the file into the minimal reference table, committed."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_reference_trade")
        cursor.execute(
            """
            CREATE TABLE bench_reference_trade (
                trade_id varchar(40) PRIMARY KEY,
                trade_date date NOT NULL,
                account_no varchar(32) NOT NULL,
                code varchar(32) NOT NULL,
                name varchar(100),
                side varchar(1) NOT NULL,
                quantity numeric(20, 4) NOT NULL,
                price numeric(18, 4) NOT NULL,
                amount numeric(18, 2) NOT NULL,
                commission numeric(18, 2) NOT NULL,
                stamp_tax numeric(18, 2) NOT NULL,
                transfer_fee numeric(18, 2) NOT NULL,
                other_fees numeric(18, 2) NOT NULL
            )
            """
        )
        cursor.execute(
            "CREATE INDEX bench_reference_trade_account "
            "ON bench_reference_trade (account_no)"
        )
    start = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.copy(
            "COPY bench_reference_trade FROM STDIN (FORMAT csv, HEADER true)"
        ) as copy,
        open(path, "rb") as f,
    ):
        while block := f.read(1 << 20):
            copy.write(block)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_reference_trade")
    return elapsed


def _import(call_command, path, *, expect_new: int) -> float:
    from imports.models import ImportBatch

    start = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command(
            "import_file", "trades", str(path), "--branch", BRANCH, stdout=quiet
        )
    elapsed = time.perf_counter() - start
    batch = ImportBatch.objects.filter(branch__code=BRANCH).latest("id")
    if batch.rows_new != expect_new or batch.rows_failed:
        sys.exit(
            f"unexpected import result: {batch.status} new={batch.rows_new} "
            f"skipped={batch.rows_skipped} failed={batch.rows_failed} {batch.message_text()}"
        )
    return elapsed


def _ie_import(path) -> float:
    """django-import-export's default path: one row at a time through the resource."""
    import tablib
    from django.db import connection

    from clients.models import Trade
    from clients.resources import TradeResource

    with open(path, encoding="utf-8") as f:
        dataset = tablib.Dataset().load(f.read(), format="csv")
    # The resource names the account by `account_no` and the security by `code`.
    start = time.perf_counter()
    result = TradeResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - start
    if result.has_errors() or result.has_validation_errors():
        sys.exit("django-import-export import failed")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Trade._meta.db_table} WHERE trade_id LIKE 'IE%%'")  # nosec B608 # identifiers from model _meta, values bound
    return elapsed


if __name__ == "__main__":
    main()
