"""Personal data encrypted at rest, and found again through a keyed hash (issue #14).

ID and phone numbers are stored as Fernet tokens (`cryptography`'s MultiFernet:
AES-128-CBC with HMAC-SHA256, a random IV each time). `PERSONAL_DATA_KEYS` is a list:
new values are encrypted with the first key, reads try each, so a key is rotated by
putting a new one first and running `manage.py reencrypt_personal_data` (README).

A random IV means equal values have different tokens, so exact-value search, duplicate
detection and import matching compare a second column instead: the HMAC-SHA256 of the
normalised value under `PERSONAL_DATA_HASH_KEY` (its own key: the hash reveals nothing
without it, and rotating the encryption keys leaves it unchanged).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models

#: The kinds of personal data and the model fields holding them (field → kind).
ID_NUMBER = "id_number"
PHONE = "phone"

_NOT_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"[\s-]")


def normalise(kind: str, value: str | None) -> str:
    """The form that is hashed: an ID number without spaces, upper case (`x` → `X`);
    a phone number as digits, without the +86 country code."""
    value = (value or "").strip()
    if kind == PHONE:
        digits = _NOT_DIGITS.sub("", value)
        if len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits
    return _SPACES.sub("", value).upper()


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _cipher() -> MultiFernet:
    return _fernet(tuple(settings.PERSONAL_DATA_KEYS))


def encrypt(value: str | None) -> str:
    """A Fernet token of `value` under the newest key ('' stays '')."""
    if not value:
        return ""
    return _cipher().encrypt(value.encode()).decode("ascii")


def encrypt_many(values) -> list[str]:
    """Tokens for many values at once, each distinct value encrypted once (imports)."""
    cipher = _cipher()
    tokens: dict[str, str] = {"": ""}
    out = []
    for value in values:
        value = value or ""
        token = tokens.get(value)
        if token is None:
            token = tokens[value] = cipher.encrypt(value.encode()).decode("ascii")
        out.append(token)
    return out


def decrypt(token: str | None) -> str:
    """The value of a token under any of the keys (InvalidToken when none fits)."""
    if not token:
        return ""
    return _cipher().decrypt(token.encode("ascii")).decode()


def rotate(token: str) -> str:
    """The same value's token under the newest key."""
    if not token:
        return ""
    return _cipher().rotate(token.encode("ascii")).decode("ascii")


def _hash_key() -> bytes:
    return settings.PERSONAL_DATA_HASH_KEY.encode()


def lookup_hash(kind: str, value: str | None) -> str:
    """HMAC-SHA256 (hex) of the normalised value: '' for an empty value."""
    normal = normalise(kind, value)
    if not normal:
        return ""
    message = f"{kind}:{normal}".encode()
    return hmac.new(_hash_key(), message, hashlib.sha256).hexdigest()


def lookup_hashes(kind: str, values) -> list[str]:
    """lookup_hash of many values, each distinct one hashed once."""
    key = _hash_key()
    seen: dict[str, str] = {}
    out = []
    for value in values:
        value = value or ""
        digest = seen.get(value)
        if digest is None:
            normal = normalise(kind, value)
            digest = seen[value] = (
                hmac.new(key, f"{kind}:{normal}".encode(), hashlib.sha256).hexdigest()
                if normal
                else ""
            )
        out.append(digest)
    return out


class Sealed(str):
    """A token already made (encrypt_many): the field stores it as it is."""


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token, read back as the clear value.

    Only `isnull` can be looked up: any other comparison with a token made under a
    random IV would silently find nothing; search the lookup hash instead.
    """

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if isinstance(value, Sealed):
            return str(value)
        return encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)


class LookupHashField(models.CharField):
    """The keyed hash of another field's value, kept in step when the row is saved
    (`source` is the encrypted field, `kind` its kind of personal data)."""

    def __init__(self, *args, source: str = "", kind: str = "", **kwargs):
        self.source, self.kind = source, kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"], kwargs["kind"] = self.source, self.kind
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        if not hasattr(model_instance, self.source):  # a history copy: as it was
            return getattr(model_instance, self.attname)
        value = getattr(model_instance, self.source)
        if isinstance(value, Sealed):  # encrypt_many's caller set the hash already
            return getattr(model_instance, self.attname)
        digest = lookup_hash(self.kind, value)
        setattr(model_instance, self.attname, digest)
        return digest
