"""ID and phone numbers at rest: encrypted, found by keyed hash, keys rotated (#14)."""

import base64
import io
import logging
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from clients.crypto import PHONE, lookup_hash
from clients.logfilters import MaskPersonalData
from clients.masking import mask_text
from clients.models import Client
from clients.selectors import client_list
from imports.services import import_file
from kpis.selectors import duplicate_groups

pytestmark = pytest.mark.django_db

ID_NUMBER = "110105198812240017"
PHONE_NUMBER = "13912345678"


@pytest.fixture
def book(advisor, make):
    return SimpleNamespace(
        clients=[make.Client(branch=advisor.branch, advisor=advisor) for _ in range(3)]
    )


def stored(client) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone FROM clients_client WHERE id = %s", [client.pk]
        )
        return cursor.fetchone()


def test_the_database_holds_tokens_and_the_model_clear_values(book):
    # given
    client = book.clients[0]
    client.id_number, client.phone = ID_NUMBER, PHONE_NUMBER
    # when
    client.save()
    # then
    raw_id, raw_phone = stored(client)
    assert ID_NUMBER not in raw_id and PHONE_NUMBER not in raw_phone
    assert raw_id.startswith("gAAAA")
    again = Client.objects.get(pk=client.pk)
    assert (again.id_number, again.phone) == (ID_NUMBER, PHONE_NUMBER)
    assert again.phone_hash == lookup_hash(PHONE, "+86 139-1234-5678")


def test_a_comparison_with_an_encrypted_column_is_refused():
    with pytest.raises(FieldError):
        list(Client.objects.filter(phone=PHONE_NUMBER))


def test_bulk_updates_keep_the_lookup_hash_in_step(book):
    client = book.clients[0]
    Client.objects.filter(pk=client.pk).update(phone=PHONE_NUMBER)
    client.refresh_from_db()
    assert client.phone_hash == lookup_hash(PHONE, PHONE_NUMBER)
    client.phone = "13800001111"
    Client.objects.bulk_update([client], ["phone"])
    assert Client.objects.get(pk=client.pk).phone_hash == lookup_hash(
        PHONE, "13800001111"
    )


def test_search_and_duplicates_go_through_the_hash(book, manager_user):
    first, second = book.clients[0], book.clients[1]
    for client in (first, second):
        client.id_number, client.phone = ID_NUMBER, PHONE_NUMBER
        client.save()
    found = client_list(user=manager_user, search="139 1234 5678")
    assert set(found) == {first, second}
    assert set(client_list(user=manager_user, search=ID_NUMBER.lower())) == {
        first,
        second,
    }
    assert not client_list(user=manager_user, search="1391234567").exists()
    groups = duplicate_groups(user=manager_user)
    assert any(
        "id_number" in reasons and set(clients) == {first, second}
        for reasons, clients in groups
    )


def test_keys_rotate_and_the_command_reencrypts_under_the_newest(book, settings):
    # given: data written under the old key
    client = book.clients[0]
    client.phone = PHONE_NUMBER
    client.save()
    old_key = settings.PERSONAL_DATA_KEYS[0]
    new_key = Fernet.generate_key().decode()
    # when: a new key is put first, reads still work; the command re-encrypts
    settings.PERSONAL_DATA_KEYS = [new_key, old_key]
    assert Client.objects.get(pk=client.pk).phone == PHONE_NUMBER
    call_command("reencrypt_personal_data", stdout=io.StringIO())
    # then: the new key alone reads it, and the search still finds it
    settings.PERSONAL_DATA_KEYS = [new_key]
    _raw_id, raw_phone = stored(client)
    assert Fernet(new_key).decrypt(raw_phone.encode()).decode() == PHONE_NUMBER
    assert Client.objects.get(pk=client.pk).phone == PHONE_NUMBER
    assert Client.objects.get(phone_hash=lookup_hash(PHONE, PHONE_NUMBER)) == client


def test_an_import_encrypts_and_matches_through_the_hash(branch, tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text(
        "客户号,客户姓名,证件号码,手机\n"
        f"N1,One,{ID_NUMBER},{PHONE_NUMBER}\nN2,Two,,13800000002\n",
        encoding="utf-8",
    )
    batch = import_file(branch=branch, path=str(path), kind="clients")
    assert batch.rows_new == 2
    one = Client.objects.get(client_no="N1")
    assert (one.id_number, one.phone) == (ID_NUMBER, PHONE_NUMBER)
    assert ID_NUMBER not in stored(one)[0]
    # the same numbers again change nothing; a new phone is written and hashed anew
    path.write_text(
        "客户号,客户姓名,证件号码,手机\n"
        f"N1,One,{ID_NUMBER},{PHONE_NUMBER}\nN2,Two,,13800000003\n",
        encoding="utf-8",
    )
    again = import_file(branch=branch, path=str(path), kind="clients", mode="upsert")
    assert (again.rows_updated, again.rows_skipped) == (1, 1)
    two = Client.objects.get(client_no="N2")
    assert two.phone == "13800000003"
    assert two.phone_hash == lookup_hash(PHONE, "13800000003")


def test_free_text_and_log_records_are_masked():
    assert mask_text(f"call {PHONE_NUMBER} re {ID_NUMBER}") == (
        "call 139****5678 re 110***********0017"
    )
    assert mask_text("account 8800123456789012345 trade T-1") == (
        "account 8800123456789012345 trade T-1"
    )
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "tel %s", (PHONE_NUMBER,), None
    )
    MaskPersonalData().filter(record)
    assert record.getMessage() == "tel 139****5678"


@pytest.mark.parametrize(
    "text, masked",
    [
        ("office 010-12345678", "office 010-****5678"),
        ("座机 0755 1234567", "座机 0755 ***4567"),
        ("tel (021)65432100", "tel (021)****2100"),
        ("+86 10 87654321 ext", "+86 10 ****4321 ext"),
        # numbers that are not phone numbers stay as they are
        ("amount 1234567 CNY on 20260101", "amount 1234567 CNY on 20260101"),
    ],
)
def test_landlines_in_free_text_keep_the_area_code_and_the_last_four(text, masked):
    assert mask_text(text) == masked


def test_the_dev_key_is_a_valid_fernet_key(settings):
    assert len(base64.urlsafe_b64decode(settings.PERSONAL_DATA_KEYS[0])) == 32
