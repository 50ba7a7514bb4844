"""Benchmark: importing a clients file (ID and phone numbers encrypted on the way in).

    DATABASE_URL=postgres://… python bench/import_clients.py [--rows N]

Generates a clients file of N rows (default 50,000: one account each, an ID and a
phone number each) for a fresh bench branch, imports it through `manage.py
import_file` (all new), then imports it again in upsert mode with a tenth of the phone
numbers changed. The last line is machine-readable:

    RESULT rows=N import_s=X import_rows_per_s=Y upsert_s=Z peak_rss_mb=M

Needs PostgreSQL (its own database: the bench branch's clients are replaced).
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")

BRANCH = "BENCHC"
HEADER = "客户号,资金账号,客户姓名,性别,出生日期,证件号码,手机,开户日期\n"


def _write(path: Path, n: int, *, changed_every: int = 0) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(n):
            phone = 13800000000 + i
            if changed_every and i % changed_every == 0:
                phone += 50_000_000
            out.write(
                f"BC{i:07d},BCA{i:07d},客户{i},{'M' if i % 2 else 'F'},1980-01-01,"
                f"1101011980010{i % 10000:04d}{i % 10},{phone},2020-01-02\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from advisors.models import Branch
    from clients.models import Account, Client
    from imports.models import ImportBatch

    if connection.vendor != "postgresql":
        sys.exit("bench/import_clients.py needs DATABASE_URL pointing at PostgreSQL")
    call_command("migrate", verbosity=0)
    branch, _ = Branch.objects.get_or_create(code=BRANCH, defaults={"name": "Bench"})
    Account.objects.filter(branch=branch).delete()
    Client.objects.filter(branch=branch).delete()
    ImportBatch.objects.filter(branch=branch).delete()
    n = args.rows
    with tempfile.TemporaryDirectory(prefix="bench-clients-") as tmp:
        first, second = Path(tmp) / "clients.csv", Path(tmp) / "clients2.csv"
        _write(first, n)
        _write(second, n, changed_every=10)
        import_s = _import(call_command, first, "insert", new=n, updated=0)
        print(f"import_file: {import_s:.2f}s, {n / import_s:,.0f} rows/s", flush=True)
        upsert_s = _import(call_command, second, "upsert", new=0, updated=n // 10)
        print(f"upsert (a tenth changed): {upsert_s:.2f}s", flush=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RESULT rows={n} import_s={import_s:.2f} import_rows_per_s={n / import_s:.0f} "
        f"upsert_s={upsert_s:.2f} peak_rss_mb={peak_mb:.0f}"
    )


def _import(call_command, path, mode, *, new: int, updated: int) -> float:
    from imports.models import ImportBatch

    start = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command(
            "import_file",
            "clients",
            str(path),
            "--branch",
            BRANCH,
            "--mode",
            mode,
            stdout=quiet,
        )
    elapsed = time.perf_counter() - start
    batch = ImportBatch.objects.filter(branch__code=BRANCH).latest("id")
    if batch.rows_new != new or batch.rows_updated != updated or batch.rows_failed:
        sys.exit(
            f"unexpected import result: {batch.status} new={batch.rows_new} "
            f"updated={batch.rows_updated} failed={batch.rows_failed} "
            f"{batch.message} {batch.errors[:3]}"
        )
    return elapsed


if __name__ == "__main__":
    main()
