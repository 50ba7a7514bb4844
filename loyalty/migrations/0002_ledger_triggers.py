"""The database guards the ledger: the balance trigger, append-only, no direct balance edits.

Every insert into the ledger adds its delta to the client's points account in the same
statement; the account's CHECK (balance >= 0) then refuses any insert that would overdraw
the client, whatever code path wrote it. PostgreSQL also refuses UPDATE and DELETE of
ledger rows and any change of an account balance that does not come from a ledger insert.
SQLite (the demo database) refuses UPDATE of ledger rows; DELETE stays possible there
because the test runner empties tables with DELETE between transactional tests.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE FUNCTION loyalty_points_entry_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Two steps, not an upsert: a CHECK is tested on the proposed row before the
    -- conflict is found, so a debit would fail even when the account has the points.
    INSERT INTO loyalty_pointsaccount (client_id, balance)
    SELECT DISTINCT client_id, 0 FROM loyalty_new_entries
    ON CONFLICT (client_id) DO NOTHING;
    UPDATE loyalty_pointsaccount AS account
    SET balance = account.balance + moved.delta
    FROM (
        SELECT client_id, SUM(delta) AS delta
        FROM loyalty_new_entries GROUP BY client_id
    ) AS moved
    WHERE account.client_id = moved.client_id;
    RETURN NULL;
END $$;

CREATE TRIGGER loyalty_points_entry_balance
AFTER INSERT ON loyalty_pointsentry
REFERENCING NEW TABLE AS loyalty_new_entries
FOR EACH STATEMENT EXECUTE FUNCTION loyalty_points_entry_balance();

CREATE FUNCTION loyalty_points_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only: % refused; append a reversing entry instead', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER loyalty_points_entry_append_only
BEFORE UPDATE OR DELETE ON loyalty_pointsentry
FOR EACH ROW EXECUTE FUNCTION loyalty_points_entry_append_only();

CREATE FUNCTION loyalty_points_account_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1 is a direct UPDATE; the ledger's balance trigger runs at depth 2.
    IF pg_trigger_depth() < 2 AND NEW.balance IS DISTINCT FROM OLD.balance THEN
        RAISE EXCEPTION 'a points balance changes only through ledger entries'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER loyalty_points_account_guard
BEFORE UPDATE ON loyalty_pointsaccount
FOR EACH ROW EXECUTE FUNCTION loyalty_points_account_guard();
"""

POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS loyalty_points_account_guard ON loyalty_pointsaccount;
DROP FUNCTION IF EXISTS loyalty_points_account_guard();
DROP TRIGGER IF EXISTS loyalty_points_entry_append_only ON loyalty_pointsentry;
DROP FUNCTION IF EXISTS loyalty_points_entry_append_only();
DROP TRIGGER IF EXISTS loyalty_points_entry_balance ON loyalty_pointsentry;
DROP FUNCTION IF EXISTS loyalty_points_entry_balance();
"""

SQLITE_UP = [
    """
    CREATE TRIGGER loyalty_points_entry_balance
    AFTER INSERT ON loyalty_pointsentry
    BEGIN
        INSERT OR IGNORE INTO loyalty_pointsaccount (client_id, balance)
        VALUES (NEW.client_id, 0);
        UPDATE loyalty_pointsaccount SET balance = balance + NEW.delta
        WHERE client_id = NEW.client_id;
    END
    """,
    """
    CREATE TRIGGER loyalty_points_entry_no_update
    BEFORE UPDATE ON loyalty_pointsentry
    BEGIN
        SELECT RAISE(ABORT, 'the points ledger is append-only: UPDATE refused');
    END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS loyalty_points_entry_no_update",
    "DROP TRIGGER IF EXISTS loyalty_points_entry_balance",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
