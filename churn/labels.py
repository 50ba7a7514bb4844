"""The words of the churn flags: why each one fired and what to do, in the active language.

`churn.scoring` decides with numbers and codes; these turn a flag's code and stored
facts into the sentences an advisor reads.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .scoring import REASON_FACTS

SUGGESTED_ACTIONS = {
    "OUTFLOW": _("Call within 2 days; review the commission rate."),
    "LOSSES": _("Portfolio review and education."),
    "DORMANT": _("Re-engagement contact."),
    "DISSATISFIED": _("Manager follow-up."),
}

REASONS = {
    "OUTFLOW": _(
        "net flow 30d %(net_flow_30)s, assets at D-30 %(assets_30_ago)s, "
        "custody-outs 30d %(custody_outs_30)s"
    ),
    "LOSSES": _(
        "return 90d %(return_90)s, assets %(assets)s vs %(assets_90_ago)s 90 days ago"
    ),
    "DORMANT": _(
        "%(active_days_365_91)s active days D-365..D-91, %(active_days_60)s in the "
        "last 60"
    ),
    "DISSATISFIED": _(
        "feedback 180d %(feedback_avg_180)s, complaints 90d %(complaints_90)s"
    ),
}

# How each fact is shown: a share as a percentage, feedback with one decimal.
_PERCENT = {"return_90"}
_ONE_DECIMAL = {"feedback_avg_180"}


def fact_text(name: str, value) -> str:
    """One fact for a sentence, formatted for the active language."""
    if value is None:
        return "—"
    if name in _PERCENT:
        return number_format(value * 100, 1, use_l10n=True) + "%"
    if name in _ONE_DECIMAL:
        return number_format(value, 1, use_l10n=True)
    return number_format(value, 0, use_l10n=True, force_grouping=True)


def reason_text(code: str, facts: dict) -> str:
    """Why flag `code` fired, from its stored facts, in the active language."""
    template = REASONS.get(code)
    if template is None:
        return ""
    names = REASON_FACTS[code]
    return str(template) % {name: fact_text(name, facts.get(name)) for name in names}


def suggested_action_text(code: str) -> str:
    return str(SUGGESTED_ACTIONS.get(code, ""))
