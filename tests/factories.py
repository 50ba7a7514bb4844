"""factory_boy factories for the branch's data; exposed as pytest fixtures in conftest."""

import datetime as dt
from decimal import Decimal

import factory

from advisors.models import Advisor, Branch, Role, Team, User
from clients.models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Interaction,
    Position,
    Price,
    Security,
    Trade,
)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Branch {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ADVISOR
    branch = factory.SubFactory(BranchFactory)
    password = factory.django.Password("pw")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    branch = factory.SubFactory(BranchFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class AdvisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisor

    branch = factory.SubFactory(BranchFactory)
    employee_no = factory.Sequence(lambda n: f"E{n:04d}")
    name = factory.Sequence(lambda n: f"Advisor {n}")
    user = factory.SubFactory(
        UserFactory, branch=factory.SelfAttribute("..branch"), role=Role.ADVISOR
    )


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    branch = factory.SubFactory(BranchFactory)
    client_no = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"Client {n}")
    opened_at = dt.date(2020, 1, 1)
    advisor = factory.SubFactory(
        AdvisorFactory, branch=factory.SelfAttribute("..branch")
    )


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    client = factory.SubFactory(ClientFactory)
    branch = factory.SelfAttribute("client.branch")
    account_no = factory.Sequence(lambda n: f"88{n:06d}")


class SecurityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Security
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{600000 + n}")
    name = factory.Sequence(lambda n: f"Stock {n}")
    kind = "stock"
    listed_on = dt.date(2010, 1, 4)


class PriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Price

    security = factory.SubFactory(SecurityFactory)
    date = dt.date(2026, 1, 5)
    close = Decimal("10.0000")


class TradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trade

    account = factory.SubFactory(AccountFactory)
    branch = factory.SelfAttribute("account.branch")
    trade_id = factory.Sequence(lambda n: f"T{n:08d}")
    trade_date = dt.date(2026, 1, 5)
    security = factory.SubFactory(SecurityFactory)
    side = "B"
    quantity = Decimal("100")
    price = Decimal("10.00")
    amount = factory.LazyAttribute(
        lambda o: (o.quantity * o.price).quantize(Decimal("0.01"))
    )
    commission = Decimal("5.00")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    account = factory.SubFactory(AccountFactory)
    date = dt.date(2026, 1, 5)
    security = factory.SubFactory(SecurityFactory)
    quantity = Decimal("100")
    cost_price = Decimal("10.00")
    market_value = Decimal("1000.00")


class BalanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Balance

    account = factory.SubFactory(AccountFactory)
    date = dt.date(2026, 1, 5)
    cash = Decimal("0")
    market_value = Decimal("100000")
    total_assets = factory.LazyAttribute(lambda o: o.cash + o.market_value)


class CashFlowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CashFlow

    account = factory.SubFactory(AccountFactory)
    branch = factory.SelfAttribute("account.branch")
    flow_id = factory.Sequence(lambda n: f"F{n:08d}")
    date = dt.date(2026, 1, 5)
    type = "deposit"
    amount = Decimal("10000")


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    client = factory.SubFactory(ClientFactory)
    branch = factory.SelfAttribute("client.branch")
    interaction_id = factory.Sequence(lambda n: f"I{n:08d}")
    date = dt.date(2026, 1, 5)
    advisor = factory.SelfAttribute("client.advisor")
    channel = "call"
    minutes = 10


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    client = factory.SubFactory(ClientFactory)
    branch = factory.SelfAttribute("client.branch")
    feedback_id = factory.Sequence(lambda n: f"FB{n:06d}")
    date = dt.date(2026, 1, 5)
    topic = "satisfaction"
    score = 4
