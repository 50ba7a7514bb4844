"""The API's filters of the book's rows: a client, a date range (validated inputs)."""

import django_filters

from brokercrm.api_kit import IdFilter, StrictFilterSet
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Channel,
    Feedback,
    Interaction,
    Position,
    Task,
    TaskStatus,
    Trade,
)


def _dated(model, date_field: str, client_path: str):
    """A FilterSet with `client`, `date_from` and `date_to` on `date_field`."""
    attrs = {
        "client": IdFilter(field_name=client_path, label="Client id"),
        "date_from": django_filters.DateFilter(
            field_name=date_field, lookup_expr="gte", label="From (YYYY-MM-DD)"
        ),
        "date_to": django_filters.DateFilter(
            field_name=date_field, lookup_expr="lte", label="To (YYYY-MM-DD)"
        ),
        "Meta": type("Meta", (), {"model": model, "fields": []}),
    }
    return type(f"{model.__name__}FilterSet", (StrictFilterSet,), attrs)


TradeFilterSet = _dated(Trade, "trade_date", "account__client_id")
PositionFilterSet = _dated(Position, "date", "account__client_id")
BalanceFilterSet = _dated(Balance, "date", "account__client_id")
CashFlowFilterSet = _dated(CashFlow, "date", "account__client_id")
FeedbackFilterSet = _dated(Feedback, "date", "client_id")


class AccountFilterSet(StrictFilterSet):
    client = IdFilter(field_name="client_id", label="Client id")

    class Meta:
        model = Account
        fields: list[str] = []


class InteractionFilterSet(_dated(Interaction, "date", "client_id")):
    channel = django_filters.ChoiceFilter(choices=Channel.choices)

    class Meta:
        model = Interaction
        fields: list[str] = []


class TaskFilterSet(StrictFilterSet):
    client = IdFilter(field_name="client_id", label="Client id")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    due_to = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Task
        fields: list[str] = []
