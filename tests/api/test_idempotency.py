"""The same redemption sent 20 times at once with one Idempotency-Key (PostgreSQL,
threads each on its own connection, through the API's views): one ledger entry."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from advisors.services import api_token_create
from loyalty.models import CatalogueItem, PointsEntry, Redemption
from loyalty.selectors import points_balance
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_identical_redemptions_at_once_make_one_ledger_entry(db):
    # given a client with 1,000 points and an advisor's token
    branch = factories.BranchFactory(code="HQ01")
    advisor = factories.AdvisorFactory(branch=branch, user__username="alice")
    client = factories.ClientFactory(branch=branch, advisor=advisor)
    PointsEntry.objects.create(
        branch=branch,
        client=client,
        delta=1000,
        kind="activity",
        dated=dt.date.today(),
        expires_at=dt.date.today() + dt.timedelta(days=700),
        idempotency_key="fund",
    )
    item = CatalogueItem.objects.create(code="seat", name="Seat", points_price=100)
    _token, key = api_token_create(user=advisor.user, name="call centre")
    body = {"client": client.pk, "item": item.pk, "quantity": 1}
    barrier = threading.Barrier(20)

    def redeem(_):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        barrier.wait()
        try:
            response = api.post(
                "/api/v1/loyalty/redemptions/", body, HTTP_IDEMPOTENCY_KEY="once-only"
            )
            return response.status_code, response.json()
        finally:
            connection.close()

    # when the call centre's retry storm sends it 20 times at the same instant
    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(redeem, range(20)))

    # then every answer is the one redemption, and the ledger has one entry for it
    assert {status for status, _body in answers} == {201}
    assert len({body["id"] for _status, body in answers}) == 1
    assert Redemption.objects.count() == 1
    assert PointsEntry.objects.filter(redemption__isnull=False).count() == 1
    assert points_balance(client=client) == 900
