"""The admin's import pages: upload → preview → confirm → progress → history → report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from advisors.models import Role
from clients.models import Security, Trade
from imports.models import BatchStatus, ImportBatch

from .conftest import TRADE_HEADER, trade_row, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(client, tmp_path, rows, **fields):
    path = write_csv(tmp_path / "成交.csv", TRADE_HEADER, rows, encoding="gbk")
    upload = SimpleUploadedFile("成交.csv", path.read_bytes(), "text/csv")
    return client.post(
        reverse("imports:upload"), {"file": upload, "mode": "insert", **fields}
    )


def test_upload_previews_then_confirm_imports_with_a_report(
    book, client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    # when: the admin uploads a file
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, tmp_path, [trade_row("T1"), trade_row("T2")])
    # then: a preview with the detected kind, encoding, columns and first rows
    preview = ImportBatch.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert preview.kind == "trades" and preview.status == BatchStatus.DRY_RUN
    assert "GBK/GB18030" in page and "trade_date" in page and "T2" in page
    assert Trade.objects.count() == 0
    # when: the admin confirms
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:confirm", args=[preview.pk]))
    # then: the task ran (eagerly here) and the batch is in the history
    batch = ImportBatch.objects.exclude(pk=preview.pk).get()
    assert batch.status == BatchStatus.DONE and batch.rows_new == 2
    assert batch.created_by == admin_user and not batch.dry_run
    assert Trade.objects.count() == 2
    fragment = client.get(reverse("imports:progress", args=[batch.pk])).content
    assert b"hx-trigger" not in fragment and b"2 new" in fragment
    history = client.get(reverse("imports:list")).content.decode()
    assert "成交.csv" in history
    report = client.get(reverse("imports:report", args=[batch.pk]))
    assert report["Content-Type"].startswith("text/csv")
    assert "trades" in report.content.decode("utf-8-sig")


def test_preview_lists_every_error_and_offers_the_valid_rows(
    book, client, admin_user, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(
            client, tmp_path, [trade_row("T1"), trade_row("T2", account_no="880012")]
        )
    page = client.get(response["Location"]).content.decode()
    assert "line 3, account_no: unknown account 880012" in page
    assert "Import the valid rows" in page
    preview = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:confirm", args=[preview.pk]), {"partial": "1"})
    assert list(Trade.objects.values_list("trade_id", flat=True)) == ["T1"]


def test_a_running_batch_polls_its_progress(book, client, admin_user, tmp_path):
    client.force_login(admin_user)
    batch = ImportBatch.objects.create(
        branch=book.branch,
        kind="trades",
        file_name="x.csv",
        sha256="",
        status=BatchStatus.RUNNING,
    )
    url = reverse("imports:progress", args=[batch.pk])
    fragment = client.get(url).content
    assert b'hx-trigger="every 1s"' in fragment and b"<progress" in fragment
    # once it is done, the polling page reloads whole
    batch.status = BatchStatus.DONE
    batch.save()
    assert client.get(url, {"reload": "1"})["HX-Refresh"] == "true"


def test_oversized_upload_is_refused_before_parsing(
    book, client, admin_user, tmp_path, settings
):
    settings.IMPORT_MAX_FILE_BYTES = 50
    client.force_login(admin_user)
    response = _upload(client, tmp_path, [trade_row("T1")])
    assert response.status_code == 400
    assert "over the import limit" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_only_admins_import_and_batches_stay_in_their_branch(
    book, client, advisor, admin_user, other_branch, make, tmp_path
):
    client.force_login(advisor.user)
    assert _upload(client, tmp_path, [trade_row("T1")]).status_code == 403
    other = ImportBatch.objects.create(
        branch=other_branch, kind="trades", file_name="x.csv", sha256=""
    )
    client.force_login(admin_user)
    assert client.get(reverse("imports:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("imports:report", args=[other.pk])).status_code == 404


def _securities_upload(tmp_path):
    path = write_csv(
        tmp_path / "证券.csv",
        ["证券代码", "证券名称", "证券类别", "行业", "上市日期"],
        [["600519", "贵州茅台", "股票", "白酒", "20010827"]],
    )
    return SimpleUploadedFile("证券.csv", path.read_bytes(), "text/csv")


def test_a_branch_admin_may_not_import_the_securities_every_branch_shares(
    book, client, admin_user, make, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    # the kind is not offered, and asking for it is refused by the form
    page = client.get(reverse("imports:list")).content.decode()
    assert 'value="securities"' not in page and 'value="trades"' in page
    response = client.post(
        reverse("imports:upload"),
        {"file": _securities_upload(tmp_path), "mode": "insert", "kind": "securities"},
    )
    assert response.status_code == 400 and not ImportBatch.objects.exists()
    # detected from its columns, the file is rejected with the reason, nothing written
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:upload"),
            {"file": _securities_upload(tmp_path), "mode": "insert"},
        )
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.REJECTED and batch.message_code == "shared_kind"
    page = client.get(response["Location"]).content.decode()
    assert "data shared by every branch" in page
    assert not Security.objects.filter(code="600519").exists()
    # the superuser imports it
    root = make.User(
        username="root",
        is_superuser=True,
        is_staff=True,
        role=Role.HEAD_OFFICE,
        branch=None,
    )
    client.force_login(root)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("imports:upload"),
            {
                "file": _securities_upload(tmp_path),
                "mode": "insert",
                "branch": book.branch.pk,
            },
        )
    assert ImportBatch.objects.latest("pk").status == BatchStatus.DRY_RUN
