"""Reads of the branch's book, every one scoped to what the requesting user may see.

`client_scope(user)` is the one place the access rule lives (SPEC §1): an advisor sees
their own clients and the books shared with them; a manager and an admin see their
branch; head office sees every branch; anyone else sees nothing. Every other selector,
here and in the other apps, starts from it, so a new page has no way around it.
"""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from advisors.models import Advisor, BookShare, Branch, Role

from .crypto import ID_NUMBER, PHONE, lookup_hash
from .models import (
    Account,
    Balance,
    CashFlow,
    Client,
    Feedback,
    Household,
    Interaction,
    Position,
    Task,
    Trade,
    TradeChange,
)


def _role_scope(
    rows: QuerySet, user, *, advisor_user: str, advisor_id: str
) -> QuerySet:
    """`rows` (each of a branch and an advisor: `advisor_user` and `advisor_id` are the
    lookups of the advisor's user and id) cut to what `user` may see: everything for
    head office, the branch for its manager and admin, an advisor's own rows and those
    of the books shared with them; nothing otherwise."""
    if user is None or not user.is_authenticated or not user.is_active:
        return rows.none()
    if _reads_every_branch(user):
        return rows
    if user.branch_id is None:
        return rows.none()
    rows = rows.filter(branch_id=user.branch_id)
    if user.role in (Role.MANAGER, Role.ADMIN):
        return rows
    if user.role == Role.ADVISOR:
        shared = BookShare.objects.filter(user=user).values("advisor_id")
        # A subquery, not a join, so the scope never duplicates rows.
        return rows.filter(
            Q(**{advisor_user: user}) | Q(**{f"{advisor_id}__in": shared})
        )
    return rows.none()


def client_scope(user) -> QuerySet[Client]:
    """Every client `user` may see; the only definition of that rule.

    Built once per user object (a page asks for it several times) and rebuilt when
    what decides it changes (role, branch, active); each call returns a fresh copy.
    The shared books are a subquery, read by each query, never remembered.
    """
    if user is None:
        return Client.objects.none()
    state = (
        user.pk,
        user.is_authenticated,
        user.is_active,
        getattr(user, "is_superuser", False),
        getattr(user, "role", None),
        getattr(user, "branch_id", None),
    )
    memo = getattr(user, "_client_scope_memo", None)
    if memo is None or memo[0] != state:
        memo = (
            state,
            _role_scope(
                Client.objects.all(),
                user,
                advisor_user="advisor__user",
                advisor_id="advisor_id",
            ),
        )
        user._client_scope_memo = memo
    return memo[1].all()


def branch_scope(user) -> QuerySet[Branch]:
    """The branches whose data `user` may read."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Branch.objects.none()
    if _reads_every_branch(user):
        return Branch.objects.all()
    return Branch.objects.filter(pk=user.branch_id)


def branch_in_scope(user, branch) -> bool:
    """Whether `branch` (a stored branch) is in `branch_scope(user)`, without a query."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return _reads_every_branch(user) or (
        user.branch_id is not None and branch.pk == user.branch_id
    )


def _reads_every_branch(user) -> bool:
    return user.is_superuser or user.role == Role.HEAD_OFFICE


def scoped(queryset: QuerySet, *, user, client_path: str = "client") -> QuerySet:
    """Restrict rows that hang off a client to the clients `user` may see."""
    return queryset.filter(**{f"{client_path}__in": client_scope(user).values("pk")})


def personal_data_match(value: str) -> Q:
    """Clients whose phone or ID number is exactly `value` (after normalising: spaces,
    dashes, +86), found through the keyed hashes: the numbers themselves are encrypted."""
    condition = Q(pk__in=[])
    id_hash, phone_hash = lookup_hash(ID_NUMBER, value), lookup_hash(PHONE, value)
    if id_hash:
        condition |= Q(id_number_hash=id_hash)
    if phone_hash:
        condition |= Q(phone_hash=phone_hash)
    return condition


def client_list(*, user, search: str = "", branch=None) -> QuerySet[Client]:
    """The clients list: number, name and advisor, searchable by number or name
    (contains), or by phone, ID or account number (exact)."""
    clients = client_scope(user).select_related("advisor", "branch")
    if branch is not None:
        clients = clients.filter(branch=branch)
    if search:
        search = search.strip()
        clients = clients.filter(
            Q(client_no__icontains=search)
            | Q(name__icontains=search)
            | personal_data_match(search)
            | Q(accounts__account_no=search)
        ).distinct()
    return clients.order_by("client_no")


def client_get(*, user, pk) -> Client:
    """One client `user` may see, else Client.DoesNotExist (never a hint that it
    exists: the doors answer 404)."""
    try:
        client = client_list(user=user).get(pk=pk)
    except (ValueError, TypeError) as exc:
        raise Client.DoesNotExist("No such client.") from exc
    # Read through the user's scope: `in_scope` need not ask the database again.
    client.__dict__.setdefault(_IN_SCOPE, {})[user.pk] = True
    return client


_IN_SCOPE = "_in_scope_of"


def in_scope(user, client) -> bool:
    """Whether `client` is in `user`'s scope: asked of the database once per user and
    client object (a page asks several questions about the client it shows), and not
    at all for a client `client_get` read through that scope."""
    answers = client.__dict__.setdefault(_IN_SCOPE, {})
    if user.pk not in answers:
        answers[user.pk] = client_scope(user).filter(pk=client.pk).exists()
    return answers[user.pk]


def account_list(*, user) -> QuerySet[Account]:
    return scoped(Account.objects.select_related("client"), user=user)


def trade_list(*, user, client=None) -> QuerySet[Trade]:
    trades = scoped(
        Trade.objects.select_related("security", "account"),
        user=user,
        client_path="account__client",
    )
    if client is not None:
        trades = trades.filter(account__client=client)
    return trades.order_by("-trade_date", "-id")


def balance_list(*, user, client=None) -> QuerySet[Balance]:
    balances = scoped(Balance.objects.all(), user=user, client_path="account__client")
    if client is not None:
        balances = balances.filter(account__client=client)
    return balances.order_by("-date")


def position_list(*, user, client=None) -> QuerySet[Position]:
    positions = scoped(
        Position.objects.select_related("security", "account"),
        user=user,
        client_path="account__client",
    )
    if client is not None:
        positions = positions.filter(account__client=client)
    return positions


def cash_flow_list(*, user, client=None) -> QuerySet[CashFlow]:
    flows = scoped(
        CashFlow.objects.select_related("account"),
        user=user,
        client_path="account__client",
    )
    if client is not None:
        flows = flows.filter(account__client=client)
    return flows.order_by("-date", "-id")


def interaction_list(*, user, client=None) -> QuerySet[Interaction]:
    interactions = scoped(Interaction.objects.select_related("advisor"), user=user)
    if client is not None:
        interactions = interactions.filter(client=client)
    return interactions.order_by("-date", "-id")


def feedback_list(*, user, client=None) -> QuerySet[Feedback]:
    feedback = scoped(Feedback.objects.all(), user=user)
    if client is not None:
        feedback = feedback.filter(client=client)
    return feedback.order_by("-date", "-id")


def task_list(*, user, client=None, status: str | None = "open") -> QuerySet[Task]:
    tasks = scoped(Task.objects.select_related("client", "owner"), user=user)
    if client is not None:
        tasks = tasks.filter(client=client)
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("due_date", "id")


def latest_positions(*, user, client, as_of=None) -> QuerySet[Position]:
    """Each of the client's accounts' holdings on its latest position date (≤ as_of).

    Quantity-0 rows are dropped after the date is chosen: an account whose latest
    report holds only zero rows has sold out (SPEC §3, Conventions).
    """
    positions = position_list(user=user, client=client)
    if as_of is not None:
        positions = positions.filter(date__lte=as_of)
    # Each account's latest date, from the (account, date, security) index: one query.
    latest = Position.objects.filter(account_id=OuterRef("account_id"))
    if as_of is not None:
        latest = latest.filter(date__lte=as_of)
    latest = latest.order_by("-date").values("date")[:1]
    return (
        positions.filter(date=Subquery(latest))
        .exclude(quantity=0)
        .order_by("-market_value")
    )


def trade_changes_since(*, branch_id: int, after_id: int, up_to_id: int) -> set:
    """The trade dates of the branch written in changes (after_id, up_to_id]."""
    return set(
        TradeChange.objects.filter(
            branch_id=branch_id, id__gt=after_id, id__lte=up_to_id
        ).values_list("date", flat=True)
    )


def household_list(*, user) -> QuerySet[Household]:
    """Households with at least one member `user` may see."""
    return Household.objects.filter(
        pk__in=client_scope(user).filter(household__isnull=False).values("household_id")
    )


def household_get(*, user, pk) -> Household:
    """One household with a member in `user`'s scope, else Household.DoesNotExist."""
    try:
        return household_list(user=user).get(pk=pk)
    except (ValueError, TypeError) as exc:
        raise Household.DoesNotExist("No such household.") from exc


def advisor_scope(user) -> QuerySet[Advisor]:
    """The advisors `user` may see: a branch's for its manager and admin, every one
    for head office, and for an advisor themselves and the books shared with them."""
    return _role_scope(
        Advisor.objects.select_related("branch", "team"),
        user,
        advisor_user="user",
        advisor_id="pk",
    )
