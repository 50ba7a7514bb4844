"""Words of the workspace for what the nightly run stores as codes and English notes.

Generated tasks and churn flags keep an English title/reason in the database (for the
logs and the API); pages show these translated sentences built from the codes and the
run's features instead.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from churn.models import FlagCode
from clients.models import TaskKind

from .explain import _n, _pct

SUGGESTED_ACTIONS = {
    "OUTFLOW": gettext_lazy("Call within 2 days; review the commission rate."),
    "LOSSES": gettext_lazy("Portfolio review and education."),
    "DORMANT": gettext_lazy("Re-engagement contact."),
    "DISSATISFIED": gettext_lazy("Manager follow-up."),
}

ALERT_TITLES = {
    "CONCENTRATION": gettext_lazy(
        "Concentration: one position is half the assets or more"
    ),
    "DRAWDOWN": gettext_lazy("Turning point: a large position is well below cost"),
}


def flag_label(code: str) -> str:
    try:
        return str(FlagCode(code).label)
    except ValueError:
        return code


def suggested_action(code: str) -> str:
    return str(SUGGESTED_ACTIONS.get(code, ""))


def flag_reason(code: str, features: dict | None) -> str:
    """The reason a flag was raised, from the raising run's features."""
    f = {k: (None if v is None or v != v else v) for k, v in (features or {}).items()}
    if code == "OUTFLOW":
        return _(
            "Net flow in 30 days %(flow)s against assets of %(assets)s 30 days ago; "
            "%(outs)s custody transfers out."
        ) % {
            "flow": _n(f.get("net_flow_30")),
            "assets": _n(f.get("assets_30_ago")),
            "outs": _n(f.get("custody_outs_30")),
        }
    if code == "LOSSES":
        return _(
            "Return in 90 days %(ret)s; assets %(now)s against %(then)s 90 days ago."
        ) % {
            "ret": _pct(f.get("return_90")),
            "now": _n(f.get("assets")),
            "then": _n(f.get("assets_90_ago")),
        }
    if code == "DORMANT":
        return _(
            "%(before)s active days from a year to 91 days ago, %(recent)s in the last 60."
        ) % {
            "before": _n(f.get("active_days_365_91")),
            "recent": _n(f.get("active_days_60")),
        }
    if code == "DISSATISFIED":
        return _(
            "Feedback in 180 days %(avg)s of 5; %(complaints)s complaints in 90 days."
        ) % {
            "avg": _n(f.get("feedback_avg_180"), 1),
            "complaints": _n(f.get("complaints_90")),
        }
    return ""


def task_title(task) -> str:
    """A task's title in the reader's language (a manual task keeps its own words)."""
    if task.kind == TaskKind.MANUAL:
        return task.title
    if task.kind == TaskKind.CHURN:
        return _("Churn risk %(flag)s: %(action)s") % {
            "flag": flag_label(task.code),
            "action": suggested_action(task.code),
        }
    if task.kind == TaskKind.ALERT:
        return str(ALERT_TITLES.get(task.code, task.title))
    if task.kind == TaskKind.CADENCE:
        return _("Overdue contact for the relationship level")
    if task.kind == TaskKind.SUITABILITY:
        return _("Suitability warning: behaviour riskier than the questionnaire level")
    return task.title
