"""Words of the workspace for codes the nightly run stores (flags' and tasks' own
sentences come from churn.labels and clients.models, in the active language)."""

from __future__ import annotations

from churn.models import FlagCode


def flag_label(code: str) -> str:
    try:
        return str(FlagCode(code).label)
    except ValueError:
        return code


def task_title(task) -> str:
    """A task's title in the reader's language (a manual task keeps its own words)."""
    return task.display_title
