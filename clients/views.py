"""Signed-in pages of the book: thin doors onto the selectors."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from brokercrm.doors import or_404
from tiers.selectors import latest_tiers

from . import selectors


@login_required
def home(request):
    """The user's clients, searchable and paged."""
    search = request.GET.get("q", "")
    clients = selectors.client_list(user=request.user, search=search)
    page = Paginator(clients, 50).get_page(request.GET.get("page"))
    tiers = latest_tiers([client.pk for client in page])
    rows = [(client, tiers.get(client.pk)) for client in page]
    return render(
        request, "clients/home.html", {"page": page, "rows": rows, "search": search}
    )


@login_required
def client_detail(request, pk: int):
    """One client with accounts, latest holdings and recent activity; 404 if not theirs."""
    client = or_404(selectors.client_get, user=request.user, pk=pk)
    user = request.user
    context = {
        "client": client,
        "accounts": client.accounts.all(),
        "balances": selectors.balance_list(user=user, client=client)[:10],
        "positions": selectors.latest_positions(user=user, client=client),
        "trades": selectors.trade_list(user=user, client=client)[:20],
        "cash_flows": selectors.cash_flow_list(user=user, client=client)[:10],
        "interactions": selectors.interaction_list(user=user, client=client)[:10],
        "tasks": selectors.task_list(user=user, client=client),
        "tier": latest_tiers([client.pk]).get(client.pk),
    }
    return render(request, "clients/client_detail.html", context)
