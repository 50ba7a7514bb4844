"""The book through the API: accounts, trades, holdings, money, contacts, tasks.

Every queryset is a `clients.selectors` read for the requesting user (so it starts
from `client_scope`); every write is a `clients.services` call, which checks the
permissions module itself. A client the user may not see is a 404.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from brokercrm.api_views import ID_IN_URL, ScopedReadViewSet, created, validated
from clients import selectors, services

from . import filters
from .serializers import (
    AccountSerializer,
    AdvisorSerializer,
    BalanceSerializer,
    CashFlowSerializer,
    FeedbackRequestSerializer,
    FeedbackSerializer,
    HouseholdMemberSerializer,
    HouseholdRequestSerializer,
    HouseholdSerializer,
    InteractionRequestSerializer,
    InteractionSerializer,
    PositionSerializer,
    TaskCompleteSerializer,
    TaskRequestSerializer,
    TaskSerializer,
    TaskSnoozeSerializer,
    TradeSerializer,
)


def _all_tasks(*, user):
    return selectors.task_list(user=user, status=None)


class AdvisorViewSet(ScopedReadViewSet):
    """Advisors: the branch's for its people, one's own (and shared books) for an advisor."""

    serializer_class = AdvisorSerializer
    selector = staticmethod(selectors.advisor_scope)
    ordering_fields = ["id", "employee_no", "name"]


class AccountViewSet(ScopedReadViewSet):
    serializer_class = AccountSerializer
    selector = staticmethod(selectors.account_list)
    filterset_class = filters.AccountFilterSet
    ordering_fields = ["id", "account_no"]


class TradeViewSet(ScopedReadViewSet):
    serializer_class = TradeSerializer
    selector = staticmethod(selectors.trade_list)
    filterset_class = filters.TradeFilterSet
    ordering = ["-trade_date", "-id"]
    ordering_fields = ["id", "trade_date", "amount", "commission"]


class PositionViewSet(ScopedReadViewSet):
    serializer_class = PositionSerializer
    selector = staticmethod(selectors.position_list)
    filterset_class = filters.PositionFilterSet
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "market_value"]


class BalanceViewSet(ScopedReadViewSet):
    serializer_class = BalanceSerializer
    selector = staticmethod(selectors.balance_list)
    filterset_class = filters.BalanceFilterSet
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "total_assets"]

    def get_queryset(self):
        return super().get_queryset().select_related("account")


class CashFlowViewSet(ScopedReadViewSet):
    serializer_class = CashFlowSerializer
    selector = staticmethod(selectors.cash_flow_list)
    filterset_class = filters.CashFlowFilterSet
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "amount"]


class InteractionViewSet(mixins.CreateModelMixin, ScopedReadViewSet):
    """Contacts; POST logs one (the call centre's calls) through `interaction_log`."""

    serializer_class = InteractionSerializer
    selector = staticmethod(selectors.interaction_list)
    filterset_class = filters.InteractionFilterSet
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "minutes"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("recommended")

    @extend_schema(
        request=InteractionRequestSerializer, responses={201: InteractionSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated(InteractionRequestSerializer, request)
        interaction = services.interaction_log(
            user=request.user,
            client_id=data["client"],
            channel=data["channel"],
            minutes=data["minutes"],
            summary=data.get("summary", ""),
            recommended_codes=data.get("recommended", []),
            day=data.get("date"),
        )
        return created(InteractionSerializer(interaction))


class FeedbackViewSet(mixins.CreateModelMixin, ScopedReadViewSet):
    """Clients' feedback; POST records one through `feedback_record`."""

    serializer_class = FeedbackSerializer
    selector = staticmethod(selectors.feedback_list)
    filterset_class = filters.FeedbackFilterSet
    ordering = ["-date", "-id"]
    ordering_fields = ["id", "date", "score"]

    @extend_schema(
        request=FeedbackRequestSerializer, responses={201: FeedbackSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated(FeedbackRequestSerializer, request)
        feedback = services.feedback_record(
            user=request.user,
            client_id=data["client"],
            topic=data["topic"],
            score=data["score"],
            comment=data.get("comment", ""),
            day=data.get("date"),
        )
        return created(FeedbackSerializer(feedback))


class TaskViewSet(mixins.CreateModelMixin, ScopedReadViewSet):
    """Tasks (every status; `?status=open`); create, complete and snooze by services."""

    serializer_class = TaskSerializer
    selector = staticmethod(_all_tasks)
    filterset_class = filters.TaskFilterSet
    ordering = ["-id"]
    ordering_fields = ["id", "created_at"]

    @extend_schema(request=TaskRequestSerializer, responses={201: TaskSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(TaskRequestSerializer, request)
        task = services.task_create(
            user=request.user,
            client_id=data["client"],
            title=data["title"],
            due_date=data["due_date"],
            detail=data.get("detail", ""),
        )
        return created(TaskSerializer(task))

    @extend_schema(request=TaskCompleteSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Close an open task with its outcome."""
        data = validated(TaskCompleteSerializer, request)
        task = services.task_complete(
            user=request.user,
            task_id=self.get_object().pk,
            outcome=data["outcome"],
        )
        return Response(TaskSerializer(task).data)

    @extend_schema(request=TaskSnoozeSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        """Move an open task's due date to a later day."""
        data = validated(TaskSnoozeSerializer, request)
        task = services.task_snooze(
            user=request.user,
            task_id=self.get_object().pk,
            until=data["until"],
        )
        return Response(TaskSerializer(task).data)


class HouseholdViewSet(mixins.CreateModelMixin, ScopedReadViewSet):
    """Households with a member the user may see; `members` lists only those.

    POST groups clients into a new household, `members/` adds one, and
    `members/{client_id}/` takes one out (an emptied household is deleted): the
    services of the household page.
    """

    serializer_class = HouseholdSerializer
    selector = staticmethod(selectors.household_list)
    ordering = ["name", "id"]
    ordering_fields = ["id", "name"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        visible: dict[int, list[int]] = {}
        members = selectors.client_scope(self.request.user).filter(
            household__isnull=False
        )
        for household_id, client_id in members.values_list("household_id", "pk"):
            visible.setdefault(household_id, []).append(client_id)
        context["visible_members"] = visible
        return context

    @extend_schema(
        request=HouseholdRequestSerializer, responses={201: HouseholdSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = validated(HouseholdRequestSerializer, request)
        household = services.household_create(
            user=request.user,
            name=data["name"],
            kind=data["kind"],
            client_ids=data["clients"],
        )
        return created(self.get_serializer(household))

    @extend_schema(
        request=HouseholdMemberSerializer, responses={200: HouseholdSerializer}
    )
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request, pk=None):
        """Put a client the user may work into the household."""
        data = validated(HouseholdMemberSerializer, request)
        household = self.get_object()
        services.household_add_member(
            user=request.user,
            household_id=household.pk,
            client_id=data["client"],
        )
        return Response(self.get_serializer(household).data)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter(
                "client_id",
                str,
                location=OpenApiParameter.PATH,
                pattern=f"^{ID_IN_URL}$",
                description="The id of the member taken out.",
            )
        ],
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=rf"members/(?P<client_id>{ID_IN_URL})",
    )
    def remove_member(self, request, pk=None, client_id=None):
        """Take a client out of the household (an emptied household is deleted)."""
        services.household_remove_member(
            user=request.user,
            household_id=self.get_object().pk,
            client_id=int(client_id),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
