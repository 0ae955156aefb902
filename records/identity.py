"""Identity numbers: the PRC resident identity card number (GB 11643-1999), sealed and hashed.

The number is stored encrypted (Fernet, keys rotatable: FIELD_ENCRYPTION_KEYS, newest first) and
found through a keyed hash (HMAC-SHA256 with LOOKUP_HASH_KEY), so a copy of the database alone
reveals neither the numbers nor, by guessing, who is registered.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


@dataclass(frozen=True)
class NationalId:
    number: str
    date_of_birth: date
    sex: str  # "male" or "female", from the sequence digit's parity

    @property
    def last4(self) -> str:
        return self.number[-4:]


def national_id_parse(value: str) -> NationalId:
    """Validate an 18-character resident ID number; raise ValidationError saying what is wrong."""
    number = (value or "").strip().upper().replace(" ", "")
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("An ID card number has 18 characters: 17 digits and a last digit or X."), code="id_format")
    if number[0] == "0":
        raise ValidationError(_("This ID card number does not start with a valid region code."), code="id_region")
    checksum = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True)) % 11
    if _CHECK_CHARS[checksum] != number[17]:
        raise ValidationError(_("This ID card number is not valid: please check each digit."), code="id_checksum")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The date of birth inside this ID card number is not a real date."), code="id_date") from None
    if born.year < 1900 or born > date.today():
        raise ValidationError(_("The date of birth inside this ID card number is not possible."), code="id_date")
    return NationalId(number=number, date_of_birth=born, sex="male" if int(number[16]) % 2 else "female")


def _derived_key(purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:  # development and demo only; production settings require real keys
        keys = (base64.urlsafe_b64encode(_derived_key("field-encryption")).decode(),)
    return MultiFernet([Fernet(k.encode()) for k in keys])


def seal(plaintext: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


def unseal(token: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    key = settings.LOOKUP_HASH_KEY.encode() if settings.LOOKUP_HASH_KEY else _derived_key("lookup-hash")
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
