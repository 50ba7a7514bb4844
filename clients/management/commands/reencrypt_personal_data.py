"""Re-encrypt every stored ID and phone number under the newest key (README
"Personal data": key rotation), and rewrite their lookup hashes under the current
hash key. Safe to run again; rows are rewritten in batches, each in its own
transaction, so a run that stops can be resumed by running it again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from clients.models import PERSONAL_DATA_HASHES, Client

BATCH = 2000


class Command(BaseCommand):
    help = "Re-encrypt ID and phone numbers under the first of PERSONAL_DATA_KEYS."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH)

    def handle(self, *args, batch: int, **options):
        fields = list(PERSONAL_DATA_HASHES)
        done, last = 0, 0
        while True:
            with transaction.atomic():
                clients = list(
                    Client.objects.filter(pk__gt=last)
                    .order_by("pk")
                    .only("pk", *fields)[:batch]
                )
                if not clients:
                    break
                # Read under any key, written under the newest (and hashed anew).
                Client.objects.bulk_update(clients, fields, batch_size=batch)
            done += len(clients)
            last = clients[-1].pk
        self.stdout.write(f"re-encrypted the personal data of {done} clients")
