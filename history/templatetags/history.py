"""`{% record_history obj %}`: a record's history on its page, for those who may see it."""

from django import template

from clients.permissions import may_see_record_history

from ..selectors import record_history, recorded_here

register = template.Library()


@register.inclusion_tag("history/_record_history.html", takes_context=True)
def record_history_panel(context, obj, limit=30):
    request = context.get("request")
    user = getattr(request, "user", None)
    if obj is None or not may_see_record_history(user):
        return {"shown": False}
    return {
        "shown": True,
        "entries": record_history(obj=obj, limit=limit),
        "recorded_here": recorded_here(),
    }
