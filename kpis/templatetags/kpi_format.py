"""Format SPEC §5's figures for the managers' pages."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat

from kpis.selectors import assignment_list

register = template.Library()


@register.filter
def kpi(value, kind: str = "count"):
    """A figure as the pages show it: money with 2 places, a ratio as a percentage."""
    if value is None or value == "":
        return "—"
    if kind == "money":
        return intcomma(floatformat(value, 2))
    if kind == "ratio":
        return f"{floatformat(Decimal(value) * 100, 2)}%"
    if kind == "pct":
        return floatformat(value, 1)
    if kind == "score":
        return floatformat(value, 2)
    return intcomma(value)


@register.filter
def kpi_change(value, kind: str = "count"):
    """A month-over-month change with its sign ("+1,200.00", "−3")."""
    if value is None:
        return ""
    text = kpi(abs(value), kind)
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"−{text}"
    return "±0"


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.inclusion_tag("kpis/_client_assignments.html")
def client_assignments(client):
    """The client's moves between advisors (the client page already scoped it)."""
    return {"assignments": assignment_list(client=client)}
