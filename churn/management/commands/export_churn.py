"""`export_churn --date YYYY-MM-DD --branch CODE [--output PATH]`: SPEC §6 CSV."""

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from churn.exports import churn_export_write
from nightly.management.commands.recompute import parse_date
from nightly.services import nightly_run
from tiers.selectors import run_for_date


class Command(BaseCommand):
    help = "Write each client's churn risk of a date's run and the model that gave it."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="as-of date D")
        parser.add_argument("--branch", required=True, help="branch code")
        parser.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args, **options):
        as_of = parse_date(options["date"])
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(f"--branch: unknown branch {options['branch']!r}")
        run = run_for_date(branch_id=branch.pk, day=as_of)
        if run is None:
            # No run for D yet: run the pipeline first, as recompute would.
            self.stderr.write(f"no scores for {as_of} yet: computing them first")
            run = nightly_run(branch=branch, as_of=as_of)
        if options["output"]:
            try:
                stream = open(options["output"], "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(
                    f"--output: {exc.strerror}: {options['output']}"
                ) from exc
            with stream:
                count = churn_export_write(run=run, stream=stream)
            self.stderr.write(f"{count} clients written to {options['output']}")
        else:
            churn_export_write(run=run, stream=self.stdout)
