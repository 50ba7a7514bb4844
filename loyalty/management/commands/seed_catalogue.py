"""`seed_catalogue [--branch CODE]`: add the default points catalogue items missing."""

from django.core.management.base import BaseCommand, CommandError

from advisors.models import Branch
from loyalty.services import catalogue_seed


class Command(BaseCommand):
    help = "Add the default loyalty catalogue items that are missing."

    def add_arguments(self, parser):
        parser.add_argument("--branch", help="only for this branch (default: all)")

    def handle(self, *args, branch=None, **options):
        target = None
        if branch:
            target = Branch.objects.filter(code=branch).first()
            if target is None:
                raise CommandError(f"unknown branch {branch}")
        added = catalogue_seed(branch=target)
        self.stdout.write(f"catalogue: {added} item(s) added")
