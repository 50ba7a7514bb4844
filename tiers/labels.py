"""The words users read for the codes the scoring stores (SPEC §3), per classification.

Codes stay the stored and exported values (`core`, `info_dependent`, …); pages show
these translated labels instead.
"""

from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients.models import RelationshipLevel

LABELS = {
    "tier": {
        "small": pgettext_lazy("tier", "Small"),
        "medium": pgettext_lazy("tier", "Medium"),
        "large": pgettext_lazy("tier", "Large"),
        "special": pgettext_lazy("tier", "Special"),
    },
    "maturity": {
        "current": _("Current client"),
        "target": _("Target client"),
        "potential": _("Potential client"),
    },
    "segment": {
        "core": _("Core"),
        "dormant": _("Dormant"),
        "maintaining": _("Maintaining"),
        "precipitating": _("Precipitating"),
    },
    "relationship": dict(RelationshipLevel.choices),
    "fit": {
        "ok": pgettext_lazy("relationship fit", "OK"),
        "over-served": _("Over-served"),
        "under-served": _("Under-served"),
    },
    "risk": {
        "low": pgettext_lazy("risk appetite", "Low"),
        "medium": pgettext_lazy("risk appetite", "Medium"),
        "high": pgettext_lazy("risk appetite", "High"),
    },
    "trading": {
        "info_dependent": _("Information-dependent"),
        "self_directed": _("Self-directed"),
        "blind": _("Blind"),
    },
    "loyalty": {
        "emotional": _("Emotional"),
        "attitudinal": _("Attitudinal"),
        "behavioural": _("Behavioural"),
        "none": pgettext_lazy("loyalty type", "None"),
    },
    "experience": {"new": _("New investor"), "seasoned": _("Seasoned investor")},
    "alert": {"CONCENTRATION": _("Concentration"), "DRAWDOWN": _("Drawdown")},
}


# The churn flag codes' words (churn owns them; tiers only names them in the "why"
# line of the churn risk, which the client page shows with the other scores).
FLAG_LABELS = {
    "OUTFLOW": _("Outflow"),
    "LOSSES": _("Losses"),
    "DORMANT": _("Dormant"),
    "DISSATISFIED": _("Dissatisfied"),
}


def code_label(code, kind: str):
    """The label of a stored code; the code itself when it has none, '' for null."""
    if code is None or code == "":
        return ""
    return LABELS.get(kind, {}).get(code, code)


# --- explanations ----------------------------------------------------------------


def _pct(value) -> str:
    return "—" if value is None else number_format(value * 100, 0, use_l10n=True) + "%"


def _num(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, digits, use_l10n=True, force_grouping=True)


def explain(score: dict, features: dict) -> dict[str, str]:
    """Why each classification came out as it did, in the active language.

    `score`: the stored result fields; `features`: the stored feature values (ranks
    included). Returns one line per classification, e.g. "Core: value 86.4
    (commission rank 97, assets rank 88, active-days rank 75, stability 0.62)".
    """
    f = {k: (None if v is None or v != v else v) for k, v in features.items()}
    lines: dict[str, str] = {}
    value = score.get("value_score")
    ranks = gettext(
        "commission rank %(commission)s, assets rank %(assets)s, active-days rank "
        "%(days)s, stability %(stability)s"
    ) % {
        "commission": _num(f.get("commission_rank")),
        "assets": _num(f.get("assets_rank")),
        "days": _num(f.get("active_days_rank")),
        "stability": _num(f.get("stability"), 2),
    }
    if score.get("maturity_stage"):
        stage = score["maturity_stage"]
        why = {
            "current": gettext("%(trades)s trades in the last 90 days")
            % {"trades": _num(f.get("trades_90"))},
            "target": gettext(
                "no trade, but an interaction or an account opened in 90 days"
            ),
            "potential": gettext("no trade, interaction or new account in 90 days"),
        }[stage]
        lines["maturity_stage"] = f"{code_label(stage, 'maturity')}: {why}"
    if score.get("tier"):
        lines["tier"] = gettext("%(tier)s: assets %(assets)s") % {
            "tier": code_label(score["tier"], "tier"),
            "assets": _num(f.get("assets")),
        }
    if value is not None:
        lines["value_score"] = gettext("value %(value)s (%(ranks)s)") % {
            "value": _num(value, 1),
            "ranks": ranks,
        }
    if score.get("segment"):
        segment = score["segment"]
        if segment == "dormant":
            why = gettext("no trade in 90 days, assets %(assets)s") % {
                "assets": _num(f.get("assets"))
            }
        else:
            why = gettext("value %(value)s (%(ranks)s)") % {
                "value": _num(value, 1),
                "ranks": ranks,
            }
        lines["segment"] = f"{code_label(segment, 'segment')}: {why}"
    if score.get("relationship_recommended"):
        lines["relationship"] = gettext(
            "recommended %(level)s (tier %(tier)s, value %(value)s, tenure %(tenure)s "
            "years); %(fit)s"
        ) % {
            "level": code_label(score["relationship_recommended"], "relationship"),
            "tier": code_label(score.get("tier"), "tier"),
            "value": _num(value, 1),
            "tenure": _num(f.get("tenure_years"), 1),
            "fit": code_label(score.get("relationship_fit"), "fit"),
        }
    if score.get("risk_appetite"):
        lines["risk_appetite"] = gettext(
            "%(risk)s: turnover %(turnover)s, largest position %(largest)s, new "
            "issues %(new_issues)s, equity %(equity)s"
        ) % {
            "risk": code_label(score["risk_appetite"], "risk"),
            "turnover": _num(f.get("turnover_90"), 2),
            "largest": _pct(f.get("max_position_share")),
            "new_issues": _pct(f.get("new_issue_share_90")),
            "equity": _pct(f.get("equity_share")),
        }
        if score.get("suitability_warning"):
            lines["risk_appetite"] += gettext("; suitability warning")
    if score.get("trading_ability"):
        excess = f.get("excess_return_90")
        line = code_label(score["trading_ability"], "trading")
        if score.get("trading_lagging"):
            line += gettext(" (lagging the benchmark)")
        line += gettext(
            ": recommended buys %(recommended)s, return %(ret)s vs benchmark "
            "%(benchmark)s"
        ) % {
            "recommended": _pct(f.get("recommended_buy_share_90")),
            "ret": _pct(f.get("return_90")),
            "benchmark": _pct(f.get("benchmark_return_90")),
        }
        if excess is not None:
            line += gettext(" (excess %(excess)s)") % {
                "excess": ("+" if excess >= 0 else "")
                + number_format(excess * 100, 1, use_l10n=True)
                + "%"
            }
        line += gettext(", turnover %(turnover)s") % {
            "turnover": _num(f.get("turnover_90"), 2)
        }
        lines["trading_ability"] = line
    if score.get("loyalty_type"):
        lines["loyalty_type"] = gettext(
            "%(loyalty)s: %(referrals)s referrals, %(activities)s activities in a "
            "year, %(trades)s trades in 90 days"
        ) % {
            "loyalty": code_label(score["loyalty_type"], "loyalty"),
            "referrals": _num(f.get("referrals_365")),
            "activities": _num(f.get("activities_365")),
            "trades": _num(f.get("trades_90")),
        }
    if score.get("churn_risk") is not None:
        flags = score.get("churn_flags") or ""
        lines["churn_risk"] = gettext(
            "churn risk %(risk)s/100: flags %(flags)s, assets %(assets)s vs "
            "%(before)s 90 days ago"
        ) % {
            "risk": _num(score["churn_risk"]),
            "flags": ", ".join(
                str(FLAG_LABELS.get(code, code)) for code in flags.split(";") if code
            )
            or gettext("none"),
            "assets": _num(f.get("assets")),
            "before": _num(f.get("assets_90_ago")),
        }
    return lines
