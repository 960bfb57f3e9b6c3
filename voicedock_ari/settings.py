"""Where the project's Asterisk lives and how to reach it, read from the file the installer writes.

The installer generates ARI/AMI passwords into `<root>/etc/asterisk/voicedock-secrets.env`
(mode 600, outside git); everything here reads that file rather than repeating defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SECRETS_RELATIVE = Path("etc/asterisk/voicedock-secrets.env")
TRUNKS_RELATIVE = Path("etc/asterisk/voicedock/trunks.conf")  # a setgid directory of Asterisk's group


def asterisk_root() -> Path:
    """Same resolution as scripts/install-asterisk and scripts/asterisk-ctl."""
    explicit = os.environ.get("VOICEDOCK_ASTERISK_ROOT")
    if explicit:
        return Path(explicit)
    home = os.environ.get("VOICEDOCK_HOME") or "/var/lib/voicedock"
    return Path(home) / "asterisk-root"


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines (no shell expansion: the installer writes plain values)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class AsteriskSettings:
    """Connection details for ARI and AMI; `repr` hides the passwords so they never reach logs."""

    ari_url: str = "http://127.0.0.1:8088"
    ari_user: str = "voicedock"
    ari_password: str = ""
    app: str = "voicedock"
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "voicedock"
    ami_password: str = ""
    sip_port: int = 5060
    root: Path | None = None

    def __repr__(self) -> str:
        return (
            f"AsteriskSettings(ari_url={self.ari_url!r}, ari_user={self.ari_user!r}, app={self.app!r}, "
            f"ami={self.ami_host}:{self.ami_port}, sip_port={self.sip_port}, root={self.root!s})"
        )

    @property
    def trunks_file(self) -> Path | None:
        return self.root / TRUNKS_RELATIVE if self.root else None

    @classmethod
    def load(cls, root: Path | None = None) -> AsteriskSettings:
        """Read the installer's secrets file; raises FileNotFoundError with a hint when not installed."""
        root = root or asterisk_root()
        path = root / SECRETS_RELATIVE
        if not path.exists():
            raise FileNotFoundError(f"{path} missing: run scripts/install-asterisk first")
        env = read_env_file(path)
        return cls(
            ari_url=env.get("VOICEDOCK_ARI_URL", cls.ari_url),
            ari_user=env.get("VOICEDOCK_ARI_USER", cls.ari_user),
            ari_password=env.get("VOICEDOCK_ARI_PASSWORD", ""),
            app=env.get("VOICEDOCK_ARI_APP", cls.app),
            ami_host=env.get("VOICEDOCK_AMI_HOST", cls.ami_host),
            ami_port=int(env.get("VOICEDOCK_AMI_PORT", cls.ami_port)),
            ami_user=env.get("VOICEDOCK_AMI_USER", cls.ami_user),
            ami_password=env.get("VOICEDOCK_AMI_PASSWORD", ""),
            sip_port=int(env.get("VOICEDOCK_SIP_PORT", cls.sip_port)),
            root=root,
        )
