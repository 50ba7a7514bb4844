"""`export_scores --date YYYY-MM-DD --branch CODE [--output PATH]`: SPEC §6 CSV."""

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from nightly.exports import export_write
from nightly.services import nightly_run
from tiers.selectors import run_for_date

from .recompute import parse_date


class Command(BaseCommand):
    help = "Write the scores of every client of a branch as of a date as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="as-of date D")
        parser.add_argument("--branch", required=True, help="branch code")
        parser.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args, **options):
        as_of = parse_date(options["date"])
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(f"unknown branch {options['branch']!r}")
        run = run_for_date(branch_id=branch.pk, day=as_of)
        if run is None:
            # No nightly run for D yet: run the pipeline first, as recompute would.
            self.stderr.write(f"no scores for {as_of} yet: computing them first")
            run = nightly_run(branch=branch, as_of=as_of)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as stream:
                count = export_write(run=run, stream=stream)
            self.stderr.write(f"{count} clients written to {options['output']}")
        else:
            export_write(run=run, stream=self.stdout)
