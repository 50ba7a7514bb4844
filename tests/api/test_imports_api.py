"""An import uploaded through the API gives the same batch report as `import_file`."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from advisors.models import Role
from imports.models import ImportBatch
from imports.services import import_file
from tests import factories

HEADER = "client_no,name,id_number,phone,opened_at,advisor\n"
ROWS = [
    "N0001,New One,110101199001011234,13812345678,2024-01-02,E0001\n",
    "N0002,New Two,,13900001111,2024-13-40,E0001\n",  # a bad date: a failed row
    "C0001,Old One,,,2020-01-01,E0001\n",
]
REPORT = [
    "status",
    "kind",
    "rows_total",
    "rows_new",
    "rows_updated",
    "rows_skipped",
    "rows_failed",
    "errors",
    "ignored_columns",
    "matched_columns",
]


@pytest.fixture
def admin_api(branch, make):
    advisor = make.Advisor(branch=branch, employee_no="E0001", user__username="e1")
    make.Client(branch=branch, client_no="C0001", advisor=advisor)
    admin = factories.UserFactory(username="adm", role=Role.ADMIN, branch=branch)
    api = APIClient()
    api.force_authenticate(admin)
    return api


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_upload_reports_what_import_file_reports(
    admin_api, branch, tmp_path, django_capture_on_commit_callbacks, dry_run
):
    content = (HEADER + "".join(ROWS)).encode()
    path = tmp_path / "clients.csv"
    path.write_bytes(content)
    # given the command's batch of the file, as a dry run (nothing written)
    expected = import_file(
        branch=branch, kind="clients", path=str(path), partial=True, dry_run=True
    )
    # when the same file is uploaded through the API
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/v1/imports/",
            {
                "file": SimpleUploadedFile("clients.csv", content, "text/csv"),
                "kind": "clients",
                "partial": "true",
                "dry_run": "true" if dry_run else "false",
            },
            format="multipart",
        )
    assert response.status_code == 202
    batch_id = response.json()["id"]
    # then polling the batch gives the command's report
    polled = admin_api.get(f"/api/v1/imports/{batch_id}/").json()
    if dry_run:
        for field in REPORT:
            assert polled[field] == getattr(expected, field), field
    else:
        assert polled["status"] == "done"
        assert polled["rows_new"] == expected.rows_new
        assert polled["errors"] == expected.errors
    assert ImportBatch.objects.get(pk=batch_id).created_by.username == "adm"


def test_an_advisor_may_not_upload(branch, advisor):
    api = APIClient()
    api.force_authenticate(advisor.user)
    response = api.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n", "text/csv")},
        format="multipart",
    )
    assert response.status_code == 403


def test_an_upload_without_a_kind_answers_a_blank_kind_until_the_run(admin_api):
    # given a file whose kind the upload does not say (found the run reads its header)
    upload = SimpleUploadedFile("x.csv", b"%", "text/csv")
    # when it is uploaded (its run waits for the commit)
    response = admin_api.post("/api/v1/imports/", {"file": upload}, format="multipart")
    # then the batch is queued with a blank kind, which the schema allows
    assert response.status_code == 202
    assert response.json()["kind"] == ""


def test_a_checked_upload_is_imported_by_its_confirm(
    admin_api, django_capture_on_commit_callbacks
):
    # given a file checked through the API (a dry run: one bad row, nothing written)
    content = (HEADER + "".join(ROWS)).encode()
    with django_capture_on_commit_callbacks(execute=True):
        checked = admin_api.post(
            "/api/v1/imports/",
            {
                "file": SimpleUploadedFile("clients.csv", content, "text/csv"),
                "kind": "clients",
                "dry_run": "true",
            },
            format="multipart",
        ).json()
    assert admin_api.get(f"/api/v1/imports/{checked['id']}/").json()["status"] in (
        "dry_run",
        "rejected",
    )
    # when the admin confirms it, the good rows only
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/imports/{checked['id']}/confirm/", {"partial": True}
        )
    # then a new batch imports the file for real, as the page's confirm does
    assert response.status_code == 202, response.content
    done = admin_api.get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert done["status"] == "done" and done["dry_run"] is False
    assert done["rows_new"] == 1 and done["rows_failed"] == 1
    # and only a checked file can be confirmed
    again = admin_api.post(f"/api/v1/imports/{done['id']}/confirm/", {})
    assert again.status_code == 400
    assert again.json()["code"] == "not_previewed"


def test_an_advisor_may_not_confirm(branch, advisor):
    batch = ImportBatch.objects.create(
        branch=branch, kind="clients", file_name="c.csv", status="dry_run", dry_run=True
    )
    api = APIClient()
    api.force_authenticate(advisor.user)
    # the branch's import history is not an advisor's: the batch is not found
    assert api.post(f"/api/v1/imports/{batch.pk}/confirm/", {}).status_code == 404
