"""Data sealed at rest (Fernet, rotatable keys) and keyed lookup hashes, shared by every app.

FIELD_ENCRYPTION_KEYS is a list of Fernet keys, newest first: a value sealed with a retired key still opens
while that key stays in the list. LOOKUP_HASH_KEY keys the HMAC used to find a sealed value (a national ID
number) or check a secret the server never needs back (recovery codes) without storing it. Outside
production both are derived from SECRET_KEY; production settings require real ones.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


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
