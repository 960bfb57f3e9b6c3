"""API keys (only a hash is stored) and encryption at rest for customer secrets.

The encryption key lives in the data directory, never in the database, so a copied database file
alone does not reveal BYOK keys, webhook secrets or trunk passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .private_files import PRIVATE_FILE, private_dir, restrict

API_KEY_PREFIX = "vd_live_"


def generate_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(API_KEY_PREFIX) + 4]


def generate_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class SecretBox:
    """Symmetric encryption of small strings with a key file created on first use (mode 0600)."""

    def __init__(self, key_path: Path) -> None:
        key = self._load_or_create(key_path)
        self._fernet = Fernet(key)
        self._mac_key = hashlib.sha256(b"voicedock node requests\0" + key).digest()  # not the Fernet keys

    @staticmethod
    def _load_or_create(path: Path) -> bytes:
        if path.exists():
            restrict(path, PRIVATE_FILE)
            return path.read_bytes().strip()
        if not path.parent.exists():
            private_dir(path.parent)
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def sign(self, message: bytes) -> str:
        """A hex HMAC-SHA256 of `message`: every node holds the same key file, so one node's request
        to another proves where it comes from."""
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as err:
            raise ValueError("secret cannot be decrypted with this data directory's key") from err
