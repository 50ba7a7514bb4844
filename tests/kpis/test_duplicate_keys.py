"""The duplicates' counts (DuplicateKey) kept by the database: after every kind of
write of clients and merges they equal a fresh count, and the page lists what a
grouping of the whole branch finds."""

import pytest
from django.db import connection
from django.db.models import Count

from clients.models import Client
from imports.services import import_file
from kpis.models import ClientMerge, DuplicateKey
from kpis.selectors import duplicate_groups
from kpis.services import client_merge

ID = "110101199001011234"
OTHER_ID = "110101199202022345"
PHONE = "13800005678"


def recount() -> dict:
    """The counts from scratch: every unmerged client's numbers, grouped."""
    merged = ClientMerge.objects.values("merged_id")
    live = Client.objects.exclude(pk__in=merged)
    counts = {}
    for kind, column in (("id_number", "id_number_hash"), ("phone", "phone_hash")):
        for row in (
            live.exclude(**{column: ""})
            .values("branch_id", column)
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[(row["branch_id"], kind, row[column])] = row["n"]
    return counts


def kept() -> dict:
    return {
        (k.branch_id, k.kind, k.value): k.clients
        for k in DuplicateKey.objects.exclude(clients=0)
    }


def listed(user) -> set:
    return {
        (tuple(reasons), tuple(sorted(c.client_no for c in group)))
        for reasons, group in duplicate_groups(user=user)
    }


@pytest.mark.django_db(transaction=True)
def test_counts_follow_every_write_of_clients_and_merges(
    branch, other_branch, advisor, manager_user, make, tmp_path
):
    a = make.Client(
        branch=branch,
        advisor=advisor,
        client_no="A",
        name="Wang Fang",
        id_number=ID,
        phone=PHONE,
    )
    b = make.Client(
        branch=branch, advisor=advisor, client_no="B", name="Wang Fang", id_number=ID
    )
    assert kept() == recount()
    assert listed(manager_user) == {(("id_number",), ("A", "B"))}

    # an import writes clients with COPY: its rows are counted too
    path = tmp_path / "clients.csv"
    path.write_text(
        "客户号,客户姓名,证件号码,手机,开户日期\n"
        f"C,Wang Fang,{OTHER_ID},{PHONE},2020-01-02\n"
        f"D,Li Lei,{OTHER_ID},,2020-01-02\n",
        encoding="utf-8",
    )
    batch = import_file(branch=branch, path=str(path), kind="clients")
    assert batch.rows_new == 2
    assert kept() == recount()
    assert listed(manager_user) == {
        (("id_number",), ("A", "B")),
        (("id_number",), ("C", "D")),
        (("phone_name",), ("A", "C")),
    }

    # a changed number moves the client from one count to another
    b.id_number = OTHER_ID
    b.save()
    assert kept() == recount()
    # an update that leaves the numbers alone writes no count
    Client.objects.filter(pk=a.pk).update(name="Wang Fang")
    assert kept() == recount()
    # a client moved to another branch leaves this branch's counts
    Client.objects.filter(client_no="D").update(branch=other_branch)
    assert kept() == recount()
    assert listed(manager_user) == {
        (("id_number",), ("B", "C")),
        (("phone_name",), ("A", "C")),
    }

    # a merge takes the merged client out; its row keeps the numbers
    c = Client.objects.get(client_no="C")
    client_merge(user=manager_user, kept=b, merged=c)
    assert kept() == recount()
    assert listed(manager_user) == set()
    # the merged client's numbers changing later counts nowhere
    c = Client.objects.get(pk=c.pk)
    c.phone = "13911112222"
    c.save()
    assert kept() == recount()
    # undoing the merge (its row deleted) puts the numbers back
    ClientMerge.objects.filter(merged=c).delete()
    assert kept() == recount()
    assert listed(manager_user) == {(("id_number",), ("B", "C"))}

    # a deleted client leaves the counts
    Client.objects.filter(pk=c.pk).delete()
    assert kept() == recount()
    assert listed(manager_user) == set()


@pytest.mark.django_db
def test_counts_of_many_rows_in_one_statement(branch, manager_user, make):
    """Statement-level on PostgreSQL: one bulk write of many clients, some sharing."""
    make.Client(branch=branch, client_no="X0", name="Zhao Lei")
    rows = [
        Client(
            branch=branch,
            client_no=f"X{i}",
            name="Zhao Lei",
            phone=f"1370000{i % 7:04d}",
        )
        for i in range(1, 50)
    ]
    Client.objects.bulk_create(rows)
    assert kept() == recount()
    assert len(listed(manager_user)) == 7
    Client.objects.filter(client_no__startswith="X").update(phone_hash="")
    assert kept() == recount()
    assert listed(manager_user) == set()


@pytest.mark.django_db
def test_the_page_reads_counts_not_the_branch(branch, manager_user, make):
    """The branch's clients are not grouped on view: a count the triggers did not
    write (set here by hand) is what the page goes by."""
    for no in ("P1", "P2"):
        make.Client(branch=branch, client_no=no, name="Sun Li", id_number=ID)
    assert listed(manager_user) == {(("id_number",), ("P1", "P2"))}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE kpis_duplicatekey SET clients = 1")
    assert listed(manager_user) == set()
