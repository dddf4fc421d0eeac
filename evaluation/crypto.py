"""Encryption at rest for citizens' personal information (PIPL).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the keys in ``EVALUATION_PII_KEY``: a
comma-separated list, the first key encrypting, all of them decrypting, so keys can be rotated.
"""

from __future__ import annotations

import base64
import hashlib

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Only for debug and testing; create_app refuses to run in production with it.
DEVELOPMENT_PII_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"evaluation-development-pii-key").digest()
).decode()

_cipher: MultiFernet | None = None


class PIIKeyError(RuntimeError):
    pass


def configure(keys: str) -> None:
    global _cipher
    try:
        _cipher = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except (ValueError, TypeError) as exc:
        raise PIIKeyError(
            "EVALUATION_PII_KEY must be one or more comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes; generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
        ) from exc


def _get_cipher() -> MultiFernet:
    if _cipher is None:
        raise PIIKeyError("PII encryption is not configured; call evaluation.crypto.configure() first")
    return _cipher


def encrypt(text: str) -> bytes:
    return _get_cipher().encrypt(text.encode("utf-8"))


def decrypt(token: bytes) -> str:
    try:
        return _get_cipher().decrypt(bytes(token)).decode("utf-8")
    except InvalidToken as exc:
        raise PIIKeyError(
            "a protected value cannot be decrypted with the configured EVALUATION_PII_KEY"
        ) from exc


class EncryptedText(sa.TypeDecorator[str]):
    """A text value stored encrypted; the database never sees the plaintext."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> bytes | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedBytes(sa.TypeDecorator[bytes]):
    """A file's bytes stored encrypted (an uploaded document may name people)."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: sa.Dialect) -> bytes | None:
        return None if value is None else _get_cipher().encrypt(bytes(value))

    def process_result_value(self, value: bytes | None, dialect: sa.Dialect) -> bytes | None:
        if value is None:
            return None
        try:
            return _get_cipher().decrypt(bytes(value))
        except InvalidToken as exc:
            raise PIIKeyError(
                "a protected file cannot be decrypted with the configured EVALUATION_PII_KEY"
            ) from exc
