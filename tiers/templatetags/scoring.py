"""The client page's scoring panel: latest scores with why, churn flags, alerts."""

from django import template

from churn.forms import ChurnFlagResolveForm
from churn.selectors import churn_flag_list
from tiers import labels
from tiers.selectors import client_score_latest

register = template.Library()


@register.inclusion_tag("tiers/_client_scoring.html", takes_context=True)
def client_scoring(context, client):
    """Render the scoring panel of `client` for the requesting user (scoped reads)."""
    user = context["request"].user
    score = client_score_latest(user=user, client=client)
    lines = {}
    if score is not None:
        fields = {
            f.attname: getattr(score, f.attname) for f in score._meta.concrete_fields
        }
        lines = labels.explain(fields, score.features or {})
    return {
        "client": client,
        "score": score,
        "lines": lines,
        "alerts": score.alerts.split(";") if score and score.alerts else [],
        "flags": churn_flag_list(user=user, client=client, status=None)[:10],
        "resolve_form": ChurnFlagResolveForm(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def code_label(code, kind):
    """`{{ score.segment|code_label:"segment" }}`: the translated word for a code."""
    return labels.code_label(code, kind)
