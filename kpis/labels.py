"""The words pages show for SPEC §5's figures, and how each is formatted and ranked."""

from django.utils.translation import gettext_lazy as _

#: (figure, label, kind, rank column or None); kind: count, money, ratio, pct, score.
FIGURES = [
    ("clients", _("Clients"), "count", None),
    ("aum", _("Assets under management"), "money", "rank_aum"),
    ("net_new_assets", _("Net new assets"), "money", "rank_net_new_assets"),
    ("new_clients", _("New clients"), "count", None),
    ("lost_clients", _("Lost clients"), "count", None),
    ("commission", _("Commission"), "money", "rank_commission"),
    ("avg_return_90", _("Average 90-day return"), "ratio", None),
    ("contact_coverage", _("Contact coverage (%)"), "pct", "rank_contact_coverage"),
    ("minutes_core_dormant", _("Minutes: core and dormant"), "count", None),
    ("minutes_maintaining", _("Minutes: maintaining"), "count", None),
    ("minutes_precipitating", _("Minutes: precipitating"), "count", None),
    ("flags_open", _("Open churn flags"), "count", None),
    ("flags_resolved", _("Flags resolved"), "count", None),
    ("median_resolve_days", _("Median days to resolve"), "pct", None),
    ("satisfaction", _("Satisfaction (1–5)"), "score", None),
]
FIGURE_NAMES = [name for name, *_rest in FIGURES]
FIGURE_LABELS = {name: label for name, label, *_rest in FIGURES}
#: The SPEC §3.2 target shares of contact minutes.
MINUTE_TARGETS = [
    ("minutes_core_dormant", _("Core and dormant"), 60),
    ("minutes_maintaining", _("Maintaining"), 30),
    ("minutes_precipitating", _("Precipitating"), 10),
]
#: The seed's industry reference for the yearly churn rate (SPEC §5).
CHURN_REFERENCE = 25
