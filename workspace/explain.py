"""Why a client's classifications came out as they did, in the reader's language.

The numbers are the run's stored features (`ClientScore.features`); the thresholds are
the branch's scoring policy (`tiers.policy`). One short list of sentences per badge.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tiers.labels import code_label
from tiers.policy import Policy


def _n(value, digits: int = 0) -> str:
    if value is None or value != value:
        return "—"
    return number_format(round(float(value), digits), digits, force_grouping=True)


def _pct(value) -> str:
    if value is None or value != value:
        return "—"
    return f"{float(value) * 100:.1f}%"


def explain(score, features: dict, policy: Policy, *, questionnaire: str = "") -> dict:
    """{key: [sentence, …]} for tier, value, maturity, segment, relationship, risk,
    trading, loyalty, churn; keys whose classification is empty are left out."""
    f = {k: (None if v is None or v != v else v) for k, v in (features or {}).items()}
    out: dict[str, list[str]] = {}
    t, v, s, r = policy.tier, policy.value, policy.segment, policy.relationship
    if score.tier:
        out["tier"] = [
            _("Assets %(assets)s on the run's day.") % {"assets": _n(f.get("assets"))},
            _(
                "Special from %(special)s, large from %(large)s, medium from "
                "%(medium)s, small below."
            )
            % {"special": _n(t.special), "large": _n(t.large), "medium": _n(t.medium)},
        ]
    if score.value_score is not None:
        out["value"] = [
            _(
                "Value %(value)s = %(wc)s%% × commission rank %(cr)s + %(wa)s%% × "
                "assets rank %(ar)s + %(wd)s%% × active-days rank %(dr)s + %(ws)s%% × "
                "stability %(st)s."
            )
            % {
                "value": _n(score.value_score, 1),
                "wc": _n(v.weight_commission * 100),
                "cr": _n(f.get("commission_rank")),
                "wa": _n(v.weight_assets * 100),
                "ar": _n(f.get("assets_rank")),
                "wd": _n(v.weight_active_days * 100),
                "dr": _n(f.get("active_days_rank")),
                "ws": _n(v.weight_stability * 100),
                "st": _n((f.get("stability") or 0) * 100),
            },
            _("Commission over a year %(c)s; active days in 90: %(d)s.")
            % {"c": _n(f.get("commission_365"), 2), "d": _n(f.get("active_days_90"))},
        ]
    if score.maturity_stage:
        why = {
            "current": _("%(n)s trades in the last 90 days.")
            % {"n": _n(f.get("trades_90"))},
            "target": _(
                "No trade in 90 days, but a contact or a new account in that time."
            ),
            "potential": _("No trade, contact or new account in 90 days."),
        }.get(score.maturity_stage)
        if why:
            out["maturity"] = [why]
    if score.segment:
        lines = [
            _(
                "Core from value %(core)s; dormant when no trade in 90 days and assets "
                "from %(dormant)s; maintaining from value %(maint)s; else precipitating."
            )
            % {
                "core": _n(s.core_min_value),
                "dormant": _n(s.dormant_min_assets),
                "maint": _n(s.maintaining_min_value),
            },
            _(
                "This client: value %(value)s, %(trades)s trades in 90 days, assets %(a)s."
            )
            % {
                "value": _n(score.value_score, 1),
                "trades": _n(f.get("trades_90")),
                "a": _n(f.get("assets")),
            },
        ]
        out["segment"] = lines
    if score.relationship_recommended:
        lines = [
            _(
                "Recommended %(level)s: priority from tier large or value %(value)s; "
                "partnership for large institutions or special clients of %(years)s "
                "years or more."
            )
            % {
                "level": code_label(score.relationship_recommended, "relationship"),
                "value": _n(r.priority_min_value),
                "years": _n(r.partnership_min_tenure_years),
            },
            _("Tenure %(years)s years.") % {"years": _n(f.get("tenure_years"), 1)},
        ]
        if score.cadence_days:
            lines.append(
                _(
                    "Contact every %(days)s days at the actual level; last contact %(since)s days ago."
                )
                % {
                    "days": score.cadence_days,
                    "since": _n(f.get("days_since_contact")),
                }
            )
        out["relationship"] = lines
    if score.risk_appetite:
        rp = policy.risk
        lines = [
            _("Turnover %(v)s (high from %(hi)s, low under %(lo)s).")
            % {
                "v": _n(f.get("turnover_90"), 2),
                "hi": _n(rp.high_turnover, 1),
                "lo": _n(rp.low_turnover, 1),
            },
            _("Largest position %(v)s of assets (high from %(hi)s).")
            % {
                "v": _pct(f.get("max_position_share")),
                "hi": _pct(rp.high_max_position_share),
            },
            _("New issues %(v)s of buys (high from %(hi)s).")
            % {
                "v": _pct(f.get("new_issue_share_90")),
                "hi": _pct(rp.high_new_issue_share),
            },
            _("Equities %(v)s of assets (low under %(lo)s).")
            % {"v": _pct(f.get("equity_share")), "lo": _pct(rp.low_equity_share)},
        ]
        if score.suitability_warning:
            lines.append(
                _(
                    "Riskier than the questionnaire's level %(level)s: suitability warning."
                )
                % {"level": questionnaire or "—"}
            )
        out["risk"] = lines
    if score.trading_ability:
        tp = policy.trading
        out["trading"] = [
            _("Recommended buys %(v)s of buys (information-dependent from %(th)s).")
            % {
                "v": _pct(f.get("recommended_buy_share_90")),
                "th": _pct(tp.info_dependent_share),
            },
            _(
                "Return %(r)s against the benchmark's %(b)s (blind at %(th)s or worse with turnover from %(to)s)."
            )
            % {
                "r": _pct(f.get("return_90")),
                "b": _pct(f.get("benchmark_return_90")),
                "th": _pct(tp.blind_excess_return),
                "to": _n(tp.blind_min_turnover, 1),
            },
        ]
    if score.loyalty_type:
        out["loyalty"] = [
            _(
                "%(r)s referrals and %(a)s activities in a year, %(t)s trades in 90 days."
            )
            % {
                "r": _n(f.get("referrals_365")),
                "a": _n(f.get("activities_365")),
                "t": _n(f.get("trades_90")),
            }
        ]
    if score.churn_risk is not None:
        from .labels import flag_label

        flags = [flag_label(c) for c in (score.churn_flags or "").split(";") if c]
        out["churn"] = [
            _("Churn risk %(risk)s of 100.") % {"risk": _n(score.churn_risk)},
            _(
                "Assets %(now)s against %(then)s 90 days ago; net flow in 30 days %(flow)s."
            )
            % {
                "now": _n(f.get("assets")),
                "then": _n(f.get("assets_90_ago")),
                "flow": _n(f.get("net_flow_30")),
            },
            (
                _("Open flags: %(flags)s.") % {"flags": ", ".join(map(str, flags))}
                if flags
                else _("No open churn flag.")
            ),
        ]
    return out
