"""What every django-import-export resource of BrokerCRM shares.

Exports never carry a live spreadsheet formula: a text cell starting with `=`, `+`,
`-` or `@` (or a tab/CR) is prefixed with `'`, so Excel shows it as text (SPEC §2).
References are by natural key (branch code, account_no, security code), resolved
within the row's branch, so an export imports back into another database.
"""

from import_export import resources, widgets

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NOT_TEXT = (
    widgets.NumberWidget,
    widgets.DateWidget,
    widgets.DateTimeWidget,
    widgets.TimeWidget,
    widgets.DurationWidget,
    widgets.BooleanWidget,
)


def escape_formula(value):
    """A text cell made safe to open in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeResource(resources.ModelResource):
    """A ModelResource whose text cells are escaped on export.

    `branch_code` (given for a branch admin) confines an import to that branch: a
    row naming another branch is refused, a row naming none is taken as theirs.
    """

    def __init__(self, *, branch_code: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.branch_code = branch_code

    def before_import_row(self, row, **kwargs):
        super().before_import_row(row, **kwargs)
        if self.branch_code is None or "branch" not in self.fields:
            return
        named = (row.get("branch") or "").strip()
        if not named:
            row["branch"] = self.branch_code
        elif named != self.branch_code:
            raise ValueError(
                f"this row belongs to branch {named}; you may import into "
                f"{self.branch_code} only"
            )

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, _NOT_TEXT):
            return value
        return escape_formula(value)


class BranchForeignKeyWidget(widgets.ForeignKeyWidget):
    """A reference by natural key that is unique only within a branch.

    The branch is the row's `branch` column (a branch code); `branch_path` is the
    lookup from the referenced model to its branch.
    """

    def __init__(self, model, field, branch_path="branch__code", **kwargs):
        self.branch_path = branch_path
        super().__init__(model, field, **kwargs)

    def get_queryset(self, value, row, *args, **kwargs):
        queryset = self.model.objects.all()
        branch = (row or {}).get("branch")
        if branch:
            queryset = queryset.filter(**{self.branch_path: branch})
        return queryset
