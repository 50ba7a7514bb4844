"""Hostile input is a clear 400 or a bad row, never a 500 (issue #8 finding 9)."""

import pytest
from rest_framework.test import APIClient

from imports.services import import_file
from loyalty.models import PointsAdjustment

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    "url",
    [
        "/?q=%00",
        "/?q=abc%00def",
        "/api/v1/clients/?search=%00",
        "/api/v1/clients/?search=ok&advisor=%00",
        "/admin/clients/client/?q=%00",
        "/loyalty/analytics/?%00=1",
    ],
)
def test_nul_bytes_in_the_query_string_are_a_400(client, admin_user, url):
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 400
    assert "not allowed" in response.content.decode()


def test_an_ordinary_search_still_works(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/?q=张").status_code == 200
    assert client.get("/api/v1/clients/?search=%E5%BC%A0").status_code == 200


@pytest.mark.parametrize(
    "delta", ["9223372036854775808", "-9223372036854775808", "10000001", "-10000001"]
)
def test_an_adjustment_out_of_range_is_refused_before_the_database(
    manager_user, advisor, make, delta
):
    client_ = make.Client(branch=advisor.branch, advisor=advisor)
    api = APIClient()
    api.force_authenticate(manager_user)
    response = api.post(
        "/api/v1/loyalty/adjustments/",
        {"client": client_.pk, "delta": delta, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "delta" in response.json()
    assert not PointsAdjustment.objects.exists()


def test_an_id_out_of_range_is_a_400(manager_user):
    api = APIClient()
    api.force_authenticate(manager_user)
    response = api.post(
        "/api/v1/loyalty/adjustments/",
        {"client": 2**63, "delta": 5, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400 and "client" in response.json()


@pytest.mark.parametrize("quoted", [False, True])
def test_a_csv_row_with_more_cells_than_the_header_is_a_bad_row(
    branch, tmp_path, quoted
):
    name = '"Kweichow Moutai"' if quoted else "Kweichow Moutai"
    path = tmp_path / "securities.csv"
    path.write_text(
        "code,name,kind,industry,listed_on\n"
        f"600519,{name},stock,liquor,2001-08-27\n"
        "600000,SPDB,stock,bank,1999-11-10,shifted\n"
        "000001,Ping An,stock,bank,1991-04-03,,\n",
        encoding="utf-8",
    )
    batch = import_file(branch=branch, kind="securities", path=str(path))
    # the file is refused with that one row named (nothing is written by default)
    assert batch.rows_failed == 1
    [message] = batch.error_lines()
    assert message.startswith("line 3, ")
    assert "more cells than the header" in message
