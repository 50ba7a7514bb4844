"""Reads of churn flags, scoped to the clients the user may see."""

from django.db.models import QuerySet

from clients.selectors import scoped

from .models import ChurnFlag, FlagStatus


def churn_flag_list(
    *, user, client=None, status: str | None = FlagStatus.OPEN
) -> QuerySet[ChurnFlag]:
    """Flags of the clients `user` may see, newest first."""
    flags = scoped(ChurnFlag.objects.select_related("client", "resolved_by"), user=user)
    if client is not None:
        flags = flags.filter(client=client)
    if status:
        flags = flags.filter(status=status)
    return flags.order_by("-raised_on", "code")


def churn_flag_get(*, user, pk) -> ChurnFlag:
    """One flag of a client `user` may see, else ChurnFlag.DoesNotExist."""
    try:
        return churn_flag_list(user=user, status=None).get(pk=pk)
    except (ValueError, TypeError) as exc:
        raise ChurnFlag.DoesNotExist("No such flag.") from exc
