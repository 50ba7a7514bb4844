"""The SQLite ledger triggers of 0002 and 0005, off and on again around a table rebuild.

(Not a migration: the loader skips modules whose name starts with an underscore.)
"""

from importlib import import_module

_ENTRY = import_module("loyalty.migrations.0002_ledger_triggers")
_GUARD = import_module("loyalty.migrations.0005_sqlite_balance_guard")


def sqlite_off(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(_GUARD.SQLITE_DOWN, params=None)
        for statement in _ENTRY.SQLITE_DOWN:
            schema_editor.execute(statement, params=None)


def sqlite_on(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _ENTRY.SQLITE_UP:
            schema_editor.execute(statement, params=None)
        schema_editor.execute(_GUARD.SQLITE_UP, params=None)
