"""SQLite: the ledger's triggers are dropped before 0011 rebuilds the ledger table.

SQLite changes a column or constraint by copying the table into a new one, which drops
the old table's triggers; 0012 puts them back on the new table. PostgreSQL alters the
table in place and keeps its triggers: nothing happens there.
"""

from django.db import migrations

from loyalty.migrations import _ledger_triggers as ledger


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0009_accrualrun_max_interaction_change_id"),
    ]

    operations = [migrations.RunPython(ledger.sqlite_off, ledger.sqlite_on)]
