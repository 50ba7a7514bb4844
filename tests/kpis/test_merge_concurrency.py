"""Two managers merging the same pair at the same instant: one merge, one clear refusal."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import Client
from kpis.models import ClientMerge
from kpis.services import client_merge
from tests.loyalty.test_concurrency import close_connections, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_merge_sent_twice_at_once_merges_once(make, branch, manager_user):
    kept = make.Client(branch=branch, client_no="K1")
    merged = make.Client(branch=branch, client_no="M1")
    make.Account(client=merged, account_no="880001")

    def merge(_):
        with transaction.atomic():
            return client_merge(
                user=manager_user,
                kept=Client.objects.get(pk=kept.pk),
                merged=Client.objects.get(pk=merged.pk),
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = run_together(pool, 2, merge)
        close_connections(pool, 2)
    done = [o for o in outcomes if isinstance(o, ClientMerge)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    assert "already merged" in str(refused[0])
    assert ClientMerge.objects.count() == 1
    assert kept.accounts.count() == 1
