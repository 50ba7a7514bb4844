"""Which branch a row belongs to, for any model: the path from the model to its branch.

Used by the admin and the admin's import/export to keep a branch admin's reads and
writes inside their branch whatever model they touch.
"""

from django.db import models

from advisors.models import Branch

# Foreign keys through which a row without a `branch` column reaches its branch.
_PARENTS = ("account", "client", "advisor")


def branch_path(model) -> str | None:
    """The lookup from `model` to its branch's id ("pk" for Branch itself).

    None for rows every branch shares (securities, prices).
    """
    if model is Branch:
        return "pk"
    fields = {field.name: field for field in model._meta.get_fields()}
    field = fields.get("branch")
    if isinstance(field, models.ForeignKey) and field.related_model is Branch:
        return "branch"
    for parent in _PARENTS:
        field = fields.get(parent)
        if isinstance(field, models.ForeignKey):
            inner = branch_path(field.related_model)
            if inner not in (None, "pk"):
                return f"{parent}__{inner}"
    return None


def branch_id_of(obj, path: str | None):
    """The branch id of `obj` along `path` (None when a link on the way is empty)."""
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    *parents, last = path.split("__")
    for name in parents:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def branch_code_lookup(path: str) -> str:
    """The lookup that compares `path`'s branch with a branch code."""
    return "code" if path == "pk" else f"{path}__code"
