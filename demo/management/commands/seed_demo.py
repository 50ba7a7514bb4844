"""`seed_demo`: a deterministic synthetic branch that exercises every rule (SPEC §6)."""

import datetime as dt
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo import DemoConfig, generate
from demo.export import export_csv
from demo.write import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    SeedRefused,
    demo_branch_write,
)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--end {value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Seed (or replace) a deterministic demo branch: clients, trades, positions, "
        "balances, cash flows, contacts and feedback; optionally export import files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=2000)
        parser.add_argument("--advisors", type=int, default=8)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--end",
            type=_date,
            default=None,
            help=f"last day of the history (default: yesterday in {settings.TIME_ZONE})",
        )
        parser.add_argument("--branch", default="DEMO", help="branch code (DEMO)")
        parser.add_argument("--export", default=None, metavar="DIR")

    def handle(self, *args, **options):
        started = time.monotonic()
        end = options["end"] or timezone.localdate() - dt.timedelta(days=1)
        config = DemoConfig(
            end=end,
            clients=options["clients"],
            advisors=options["advisors"],
            days=options["days"],
            seed=options["seed"],
        )
        try:
            data = generate(config)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        generated = time.monotonic() - started
        try:
            counts = demo_branch_write(data=data, branch_code=options["branch"])
        except SeedRefused as exc:
            raise CommandError(str(exc)) from exc
        # Measured here, so it includes the commit (deferred foreign-key checks).
        written = time.monotonic() - started - generated
        out = self.stdout
        out.write(
            f"Seeded branch {options['branch']}: {config.clients} clients, "
            f"{config.advisors} advisors, {len(data.days)} weekdays ending {end} "
            f"(seed {config.seed})."
        )
        for table, rows in counts.items():
            out.write(f"  {table:<28} {rows:>9,}")
        out.write(
            f"  generated in {generated:.1f}s, written and committed in {written:.1f}s, "
            f"total {time.monotonic() - started:.1f}s"
        )
        if options["export"]:
            exported = export_csv(data, options["export"])
            out.write(
                f"Exported {sum(exported.values()):,} rows as "
                f"{', '.join(f'{k}.csv' for k in exported)} to {options['export']}"
            )
        out.write("")
        out.write(
            f"Open http://127.0.0.1:8000/ and sign in (password '{DEMO_PASSWORD}'):"
        )
        for username, (role, _, _, _) in DEMO_LOGINS.items():
            out.write(f"  {username:<14} {role}")
