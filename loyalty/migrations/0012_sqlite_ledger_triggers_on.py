"""SQLite: the ledger's triggers (0002, 0005) again, on the table 0011 rebuilt."""

from django.db import migrations

from loyalty.migrations import _ledger_triggers as ledger


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0011_entry_constraints_and_indexes"),
    ]

    operations = [migrations.RunPython(ledger.sqlite_on, ledger.sqlite_off)]
