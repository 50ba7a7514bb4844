"""What every django-import-export resource of BrokerCRM shares.

Exports never carry a live spreadsheet formula: a text cell starting with `=`, `+`,
`-` or `@` (or a tab/CR) is prefixed with `'`, so Excel shows it as text (SPEC §2).
References are by natural key (branch code, account_no, security code), resolved
within the row's branch, so an export imports back into another database.
"""

from django.utils.translation import gettext as _
from import_export import resources, widgets

from brokercrm.branches import branch_code_lookup, branch_path

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
    row naming another branch is refused, a row naming none is taken as theirs, rows
    are matched only among the branch's rows, and a row whose saved form would
    belong to (or be an existing row of) another branch is refused.
    """

    def __init__(self, *, branch_code: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.branch_code = branch_code

    def branch_path(self) -> str | None:
        return branch_path(self._meta.model)

    def get_queryset(self):
        queryset = super().get_queryset()
        path = self.branch_path()
        if self.branch_code is None or path is None:
            return queryset
        return queryset.filter(**{branch_code_lookup(path): self.branch_code})

    def before_save_instance(self, instance, row, **kwargs):
        super().before_save_instance(instance, row, **kwargs)
        path = self.branch_path()
        if self.branch_code is None or path is None:
            return
        model = type(instance)
        if (
            instance.pk is not None
            and not self.get_queryset().filter(pk=instance.pk).exists()
            and model._default_manager.filter(pk=instance.pk).exists()
        ):
            raise ValueError(_("This row belongs to another branch."))
        if not self._in_branch(instance, path):
            raise ValueError(
                _(
                    "This row belongs to another branch; you may import into %(branch)s only."
                )
                % {"branch": self.branch_code}
            )

    def _in_branch(self, instance, path) -> bool:
        if path == "pk":
            return instance.code == self.branch_code
        *parents, last = path.split("__")
        obj = instance
        for name in parents:
            obj = getattr(obj, name, None)
            if obj is None:
                return False
        branch = getattr(obj, last, None)
        return branch is not None and branch.code == self.branch_code

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
