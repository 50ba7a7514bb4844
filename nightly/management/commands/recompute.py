"""`recompute --date YYYY-MM-DD [--branch CODE]`: the whole nightly pipeline for D."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from advisors.models import Branch
from nightly.services import nightly_run


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date: {value!r} is not a YYYY-MM-DD date") from exc


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


class Command(BaseCommand):
    help = "Score every client of a branch (or of every branch) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as-of date D (default: yesterday)")
        parser.add_argument("--branch", help="branch code (default: every branch)")

    def handle(self, *args, **options):
        as_of = parse_date(options["date"]) if options["date"] else yesterday()
        branches = Branch.objects.order_by("code")
        if options["branch"]:
            branches = branches.filter(code=options["branch"])
            if not branches.exists():
                raise CommandError(f"unknown branch {options['branch']!r}")
        for branch in branches:
            run = nightly_run(branch=branch, as_of=as_of)
            self.stdout.write(
                f"{branch.code} {as_of}: {run.clients} clients "
                f"({run.open_clients} open), {run.flags_raised} new flags, "
                f"{run.alerts} alerts, {run.tasks_created} tasks, "
                f"policy v{run.policy_version or 0}, {run.duration_s:.2f}s"
            )
