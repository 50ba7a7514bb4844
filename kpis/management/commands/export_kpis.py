"""`export_kpis --month YYYY-MM --branch CODE [--output PATH]`: SPEC §5's CSV."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from kpis.exports import kpi_export_write
from kpis.selectors import kpi_rows_for_run, kpi_run_for_month
from kpis.services import kpi_snapshot_take
from tiers.models import ScoreRun


def parse_month(value: str) -> date:
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise CommandError(f"--month: {value!r} is not a YYYY-MM month") from exc


class Command(BaseCommand):
    help = "Write a branch's advisor and branch KPIs of a month as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="month M as YYYY-MM")
        parser.add_argument("--branch", required=True, help="branch code")
        parser.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args, **options):
        month = parse_month(options["month"])
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(f"unknown branch {options['branch']!r}")
        try:
            run = kpi_run_for_month(branch_id=branch.pk, month=month)
        except ScoreRun.DoesNotExist:
            raise CommandError(
                f"no nightly run of branch {branch.code} is dated in "
                f"{month:%Y-%m}: run `recompute --date` for a day of that month first"
            ) from None
        rows = kpi_rows_for_run(run=run)
        if not rows.exists():
            # A run taken before KPIs were stored: take them from its stored rows.
            kpi_snapshot_take(run=run)
            rows = kpi_rows_for_run(run=run)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as stream:
                count = kpi_export_write(rows=rows, stream=stream)
            self.stderr.write(f"{count} rows written to {options['output']}")
        else:
            kpi_export_write(rows=rows, stream=self.stdout)
