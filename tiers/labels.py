"""The words users read for the codes the scoring stores (SPEC §3), per classification.

Codes stay the stored and exported values (`core`, `info_dependent`, …); pages show
these translated labels instead.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


def code_label(code, kind: str):
    """The label of a stored code; the code itself when it has none, '' for null."""
    if code is None or code == "":
        return ""
    return LABELS.get(kind, {}).get(code, code)
