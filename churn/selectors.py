"""Reads of churn flags, scoped to the clients the user may see."""

from django.db.models import QuerySet

from clients.selectors import scoped

from .models import ChurnFlag, ChurnModel, ChurnScoring, FlagStatus


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


def churn_model_active(*, branch_id: int) -> ChurnModel | None:
    """The branch's latest accepted churn model: it scores the next runs."""
    return (
        ChurnModel.objects.filter(branch_id=branch_id, accepted=True)
        .order_by("-version")
        .first()
    )


def churn_model_latest(*, branch_id: int) -> ChurnModel | None:
    """The branch's latest training, accepted or not (without the estimator's bytes)."""
    return (
        ChurnModel.objects.filter(branch_id=branch_id)
        .defer("estimator")
        .order_by("-version")
        .first()
    )


def churn_models(*, branch_id: int) -> QuerySet[ChurnModel]:
    """Every training of the branch, newest first (without the estimator's bytes)."""
    return (
        ChurnModel.objects.filter(branch_id=branch_id)
        .defer("estimator")
        .order_by("-version")
    )


def churn_scoring_of(*, run) -> ChurnScoring | None:
    """What gave the run its churn risks (None for runs before models existed)."""
    return ChurnScoring.objects.filter(run=run).select_related("model").first()
