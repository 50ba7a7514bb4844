"""`import_file KIND PATH --branch CODE [--mode insert|upsert] [--partial] [--dry-run]`."""

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from imports.models import BatchStatus, ImportKind, ImportMode
from imports.services import import_file
from imports.services.report import report_text


class Command(BaseCommand):
    help = "Import a back-office file (SPEC §2) into a branch and print the report."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("path")
        parser.add_argument("--branch", required=True, help="the branch code")
        parser.add_argument(
            "--mode", choices=ImportMode.values, default=ImportMode.INSERT
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="import the valid rows and report the rest",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file, write nothing"
        )

    def handle(self, *args, **options):
        try:
            branch = Branch.objects.get(code=options["branch"])
        except Branch.DoesNotExist as exc:
            raise CommandError(f"no branch with code {options['branch']}") from exc
        batch = import_file(
            branch=branch,
            kind=options["kind"],
            path=options["path"],
            mode=options["mode"],
            partial=options["partial"],
            dry_run=options["dry_run"],
        )
        self.stdout.write(report_text(batch))
        if batch.status in (BatchStatus.REJECTED, BatchStatus.FAILED):
            raise CommandError(batch.message_text() or "the file was rejected")
