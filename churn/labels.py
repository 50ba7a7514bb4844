"""The words of the churn flags: why each one fired and what to do, in the active language;
and the names of the churn model's inputs.

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


# The churn model's inputs, as managers read them on the model page.
FEATURE_LABELS = {
    "log_assets": _("Assets"),
    "log_assets_avg_90": _("Average assets, 90 days"),
    "assets_change_30": _("Change in assets, 30 days"),
    "assets_change_90": _("Change in assets, 90 days"),
    "net_flow_30_share": _("Net flow, 30 days (share of assets)"),
    "net_flow_90_share": _("Net flow, 90 days (share of assets)"),
    "custody_outs_30": _("Custody transfers out, 30 days"),
    "return_90": _("Return, 90 days"),
    "log_commission_365": _("Commission, 365 days"),
    "log_commission_90": _("Commission, 90 days"),
    "trades_90": _("Trades, 90 days"),
    "active_days_90": _("Active days, 90 days"),
    "active_days_60": _("Active days, 60 days"),
    "active_days_365_91": _("Active days, 365 to 91 days ago"),
    "active_months_12": _("Active months of the last 12"),
    "turnover_90": _("Turnover, 90 days"),
    "max_position_share": _("Largest position's share"),
    "equity_share": _("Equity share"),
    "new_issue_share_90": _("New-issue share of buys, 90 days"),
    "tenure_years": _("Tenure (years)"),
    "days_since_trade": _("Days since the last trade"),
    "days_since_contact": _("Days since the last advisor contact"),
    "contacts_90": _("Advisor contacts, 90 days"),
    "contact_minutes_90": _("Contact minutes, 90 days"),
    "activities_365": _("Activities, 365 days"),
    "complaints_90": _("Complaints, 90 days"),
    "referrals_365": _("Referrals, 365 days"),
    "feedback_avg_180": _("Average feedback, 180 days"),
    "is_institution": _("Institution"),
    "flag_outflow": _("Outflow flag"),
    "flag_losses": _("Losses flag"),
    "flag_dormant": _("Dormant flag"),
    "flag_dissatisfied": _("Dissatisfied flag"),
    "hand_risk": _("Hand-weight risk score"),
}
