"""`{% may "work_client" client as ok %}`: the permission predicates about one object."""

from django import template

from clients import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, predicate: str, obj=None) -> bool:
    """Ask `clients.permissions.may_<predicate>(user, obj)` for the signed-in user."""
    check = getattr(permissions, f"may_{predicate}", None)
    if check is None:
        raise template.TemplateSyntaxError(f"no permission predicate may_{predicate}")
    user = context.get("user") or getattr(context.get("request"), "user", None)
    return check(user) if obj is None else check(user, obj)
