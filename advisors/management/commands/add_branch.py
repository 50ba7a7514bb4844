"""`add_branch CODE NAME`: open a new branch (SPEC §6)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from advisors.services import branch_create


class Command(BaseCommand):
    help = "Create a branch with a unique code (letters, digits, _ and -; ≤ 32)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="branch code, e.g. SH01")
        parser.add_argument("name", help="branch name, e.g. 'Shanghai Lujiazui'")

    def handle(self, *args, code, name, **options):
        try:
            branch = branch_create(code=code, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Created branch {branch.code} ({branch.name}).")
