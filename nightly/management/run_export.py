"""The commands that write a CSV of a branch's run for a date (SPEC §6): `export_scores`
and `export_churn` share their arguments and their handling here."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from nightly.services import nightly_run
from tiers.models import ScoreRun
from tiers.selectors import run_for_date

from .commands.recompute import parse_date


class RunExportCommand(BaseCommand):
    """`--date YYYY-MM-DD --branch CODE [--output PATH]`: the rows of the branch's run
    for D (computed first when there is none yet) to a file or to stdout.

    A subclass says what a row is: `write(run=…, stream=…)` returns the rows written.
    """

    def write(self, *, run: ScoreRun, stream) -> int:
        raise NotImplementedError

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
        path = options["output"]
        if not path:
            self.write(run=run, stream=self.stdout)
            return
        try:
            stream = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"--output: {exc.strerror}: {path}") from exc
        with stream:
            count = self.write(run=run, stream=stream)
        self.stderr.write(f"{count} clients written to {path}")
