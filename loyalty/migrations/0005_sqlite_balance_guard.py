"""SQLite too refuses a points balance edited by hand (PostgreSQL does since 0002).

SQLite triggers cannot tell a nested UPDATE from a direct one, so the guard compares
the new balance with the sum of the client's entries: the ledger's insert trigger always
agrees with it, a hand edit never does.
"""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER loyalty_points_account_guard
BEFORE UPDATE OF balance ON loyalty_pointsaccount
WHEN NEW.balance <> (
    SELECT COALESCE(SUM(delta), 0) FROM loyalty_pointsentry
    WHERE client_id = NEW.client_id
)
BEGIN
    SELECT RAISE(ABORT, 'a points balance changes only through ledger entries');
END
"""

SQLITE_DOWN = "DROP TRIGGER IF EXISTS loyalty_points_account_guard"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0004_accrual_runs"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
