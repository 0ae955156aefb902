"""Identity numbers: the PRC resident identity card number (GB 11643-1999), sealed and hashed.

The number is stored encrypted (Fernet, keys rotatable: FIELD_ENCRYPTION_KEYS, newest first) and
found through a keyed hash (HMAC-SHA256 with LOOKUP_HASH_KEY), so a copy of the database alone
reveals neither the numbers nor, by guessing, who is registered.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.sealing import lookup_hash, seal, unseal

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


# Sealing and lookup hashes moved to core.sealing (accounts seals staff 2FA secrets too); kept here by name.
__all__ = ["NationalId", "lookup_hash", "national_id_parse", "seal", "unseal"]
