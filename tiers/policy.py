"""The scoring policy: every threshold and weight of SPEC §3 and §4, with its defaults.

Pure data (no Django): the scoring functions take a `Policy`; the database keeps each
branch's versions as JSON (see tiers.models) and `Policy.from_dict` reads them back, so
an admin changes numbers, never code. Money is in CNY, shares are 0–1, windows in days.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TierPolicy:
    special: float = 5_000_000
    large: float = 1_000_000
    medium: float = 100_000


@dataclass(frozen=True)
class ValueScorePolicy:
    weight_commission: float = 0.40
    weight_assets: float = 0.25
    weight_active_days: float = 0.15
    weight_stability: float = 0.20
    tenure_cap_years: float = 10.0


@dataclass(frozen=True)
class SegmentPolicy:
    core_min_value: float = 80.0
    dormant_min_assets: float = 100_000
    maintaining_min_value: float = 40.0
    # Target share of advisor contact minutes (SPEC §3.2).
    target_share_core_dormant: float = 0.60
    target_share_maintaining: float = 0.30
    target_share_precipitating: float = 0.10


@dataclass(frozen=True)
class RelationshipPolicy:
    partnership_min_tenure_years: float = 3.0
    priority_min_value: float = 80.0
    cadence_days_priority: int = 30
    cadence_days_partnership: int = 14
    cadence_days_alliance: int = 7


@dataclass(frozen=True)
class RiskPolicy:
    high_turnover: float = 3.0
    high_max_position_share: float = 0.5
    high_new_issue_share: float = 0.3
    low_equity_share: float = 0.3
    low_turnover: float = 0.5
    new_issue_days: int = 365


@dataclass(frozen=True)
class TradingAbilityPolicy:
    info_dependent_share: float = 0.5
    recommendation_days: int = 5
    blind_excess_return: float = -0.10
    blind_min_turnover: float = 1.0
    min_trades: int = 3
    benchmark_code: str = "000300"


@dataclass(frozen=True)
class ChurnPolicy:
    outflow_share: float = 0.5
    outflow_min_amount: float = 50_000
    losses_return: float = -0.20
    losses_assets_ratio: float = 0.70
    dormant_min_active_days: int = 3
    dormant_quiet_days: int = 60
    dissatisfied_max_feedback: float = 2.0
    feedback_days: int = 180
    # Hand weights of the risk score (0-100): the firing flags' weights plus up to
    # trend_weight points as assets fall from assets_90_ago to 0. Used until a model
    # trained on the branch beats them (churn.model), and whenever none loads.
    flag_weights: dict[str, float] = field(
        default_factory=lambda: {
            "OUTFLOW": 40.0,
            "LOSSES": 25.0,
            "DORMANT": 25.0,
            "DISSATISFIED": 20.0,
        }
    )
    trend_weight: float = 30.0
    # A trained model replaces the hand weights only with this many churners or more
    # in its labelled snapshots (and a better validation AUC than the hand weights).
    model_min_positives: int = 50


@dataclass(frozen=True)
class AlertPolicy:
    concentration_share: float = 0.5
    drawdown_position_share: float = 0.2
    drawdown_below_cost: float = 0.15


@dataclass(frozen=True)
class PointsPolicy:
    """SPEC §4: earning rules, expiry and the cost-to-serve figures of the analytics."""

    per_cny_commission: float = 1.0
    referral_points: int = 500
    referral_assets_threshold: float = 10_000
    activity_points: dict[str, int] = field(
        default_factory=lambda: {"seminar": 50, "survey": 20}
    )
    expiry_months: int = 24
    cny_per_point: float = 0.01
    cost_per_contact_minute: float = 2.0
    large_adjustment_points: int = 5_000


@dataclass(frozen=True)
class Policy:
    """One version of a branch's scoring policy."""

    tier: TierPolicy = field(default_factory=TierPolicy)
    value: ValueScorePolicy = field(default_factory=ValueScorePolicy)
    segment: SegmentPolicy = field(default_factory=SegmentPolicy)
    relationship: RelationshipPolicy = field(default_factory=RelationshipPolicy)
    risk: RiskPolicy = field(default_factory=RiskPolicy)
    trading: TradingAbilityPolicy = field(default_factory=TradingAbilityPolicy)
    churn: ChurnPolicy = field(default_factory=ChurnPolicy)
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    points: PointsPolicy = field(default_factory=PointsPolicy)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> Policy:
        """Read a stored policy; missing keys take the defaults, unknown keys and
        values of the wrong type are errors (ValueError)."""
        data = data or {}
        sections = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(sections)
        if unknown:
            raise ValueError(f"unknown policy sections: {', '.join(sorted(unknown))}")
        built = {}
        for name, section_field in sections.items():
            section_cls = section_field.default_factory
            values = data.get(name) or {}
            known = {f.name for f in dataclasses.fields(section_cls)}
            extra = set(values) - known
            if extra:
                raise ValueError(f"unknown {name} settings: {', '.join(sorted(extra))}")
            kinds = {f.name: str(f.type) for f in dataclasses.fields(section_cls)}
            for key, value in values.items():
                _check_type(f"{name}.{key}", kinds[key], value)
            built[name] = section_cls(**values)
        return cls(**built)


def _check_type(name: str, kind: str, value) -> None:
    """A stored setting must have its declared type (an int may stand for a float)."""

    def number(v) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    if kind == "float":
        ok = number(value)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind.startswith("dict"):
        ok = isinstance(value, dict) and all(number(v) for v in value.values())
    else:
        ok = True
    if not ok:
        raise ValueError(f"{name}: {value!r} is not a {kind}")
