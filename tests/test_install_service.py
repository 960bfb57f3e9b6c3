"""`voicedock install-service` rendered into a temporary root: what systemd would run, and as whom."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

VOICEDOCK_BIN = Path(sys.executable).with_name("voicedock")


def install_service(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "voicedock_cli.main", "install-service", *args],
                          capture_output=True, text=True, timeout=60)


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> values (systemd keys repeat, so no configparser)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in path.read_text().splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            out[section] = {}
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out[section].setdefault(key, []).append(value)
    return out


@pytest.fixture
def fake_asterisk(tmp_path: Path) -> Path:
    """An installed-looking chroot whose secrets file chose other ports than the defaults."""
    root = tmp_path / "asterisk-root"
    (root / "etc/asterisk").mkdir(parents=True)
    (root / "etc/asterisk/voicedock-secrets.env").write_text(
        "VOICEDOCK_ARI_URL=http://127.0.0.1:8188\nVOICEDOCK_AMI_PORT=5138\nVOICEDOCK_SIP_PORT=5070\n"
        "VOICEDOCK_RTP_START=12000\nVOICEDOCK_RTP_END=12100\n")
    return root


def test_units_run_voicedock_as_its_user_and_asterisk_unprivileged(tmp_path: Path, fake_asterisk: Path) -> None:
    target = tmp_path / "target"
    run = install_service("--root", str(target), "--data-dir", "/srv/voicedock", "--asterisk-root", str(fake_asterisk))
    assert run.returncode == 0, run.stderr
    units = target / "etc/systemd/system"
    vd = unit(units / "voicedock.service")["Service"]
    assert vd["User"] == ["voicedock"] and vd["Group"] == ["voicedock"]
    assert vd["SupplementaryGroups"] == ["voicedock-asterisk"]
    assert vd["ExecStart"] == [f"{VOICEDOCK_BIN} serve"]
    assert "VOICEDOCK_DATA_DIR=/srv/voicedock" in vd["Environment"]
    assert f"VOICEDOCK_ASTERISK_ROOT={fake_asterisk}" in vd["Environment"]
    assert vd["Restart"] == ["on-failure"] and vd["StandardOutput"] == ["journal"]
    assert vd["NoNewPrivileges"] == ["yes"] and vd["ProtectSystem"] == ["strict"] and vd["CapabilityBoundingSet"] == [""]
    writable = vd["ReadWritePaths"][0].split()
    assert writable == ["/srv/voicedock", f"{fake_asterisk}/etc/asterisk/voicedock",
                        f"{fake_asterisk}/var/spool/asterisk/recording"]
    ast = unit(units / "voicedock-asterisk.service")["Service"]
    assert "User" not in ast  # root only for chroot, which drops to the account before exec
    assert ast["ExecStart"][0].startswith(f"/usr/sbin/chroot --userspec=asterisk:asterisk --groups=asterisk {fake_asterisk} ")
    assert ast["CapabilityBoundingSet"] == ["CAP_SYS_CHROOT CAP_SETUID CAP_SETGID"]
    assert ast["Restart"] == ["on-failure"] and ast["StandardOutput"] == ["journal"]
    assert ast["NoNewPrivileges"] == ["yes"] and ast["ProtectSystem"] == ["strict"]
    assert ast["SocketBindAllow"] == ["udp:5070", "tcp:8188", "tcp:5138", "udp:12000-12100"]
    assert ast["SocketBindDeny"] == ["any"]
    data = target / "srv/voicedock"
    assert data.is_dir() and data.stat().st_mode & 0o777 == 0o700


def test_dry_run_prints_the_units_and_changes_nothing(tmp_path: Path, fake_asterisk: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    run = install_service("--dry-run", "--root", str(target), "--asterisk-root", str(fake_asterisk))
    assert run.returncode == 0, run.stderr
    assert list(target.iterdir()) == []
    assert f"would write {target}/etc/systemd/system/voicedock.service" in run.stdout
    assert "--- voicedock.service" in run.stdout and "--- voicedock-asterisk.service" in run.stdout
    assert f"ExecStart={VOICEDOCK_BIN} serve" in run.stdout


def test_dry_run_on_the_system_lists_users_and_ownership(fake_asterisk: Path) -> None:
    run = install_service("--dry-run", "--user", "vdsvc", "--asterisk-root", str(fake_asterisk))
    assert run.returncode == 0, run.stderr
    assert "would create system user vdsvc (if missing)" in run.stdout
    assert "would make the data directory /var/lib/voicedock/data vdsvc's alone (mode 700)" in run.stdout
    assert "would write /etc/systemd/system/voicedock-asterisk.service" in run.stdout


def test_a_data_directory_holding_the_asterisk_chroot_is_refused(tmp_path: Path) -> None:
    run = install_service("--root", str(tmp_path), "--data-dir", "/var/lib/voicedock",
                          "--asterisk-root", "/var/lib/voicedock/asterisk-root")
    assert run.returncode == 2
    assert "contains the Asterisk chroot" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_units_pass_systemd_analyze_verify(tmp_path: Path, fake_asterisk: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    target = tmp_path / "target"
    assert install_service("--root", str(target), "--asterisk-root", str(fake_asterisk)).returncode == 0
    units = target / "etc/systemd/system"
    verify = subprocess.run([analyze, "verify", "voicedock-asterisk.service", "voicedock.service"], cwd=units,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    assert verify.returncode == 0, verify.stderr
    assert "voicedock" not in verify.stderr, verify.stderr  # unknown keys or bad values are only warnings


@pytest.mark.skipif(os.geteuid() != 0, reason="a directory of root's own")
def test_a_checkout_the_service_user_cannot_reach_is_named() -> None:
    from voicedock_cli.service_install import unreachable

    base = Path(tempfile.mkdtemp())  # pytest's own temporary directories are root's alone
    try:
        base.chmod(0o755)
        private = base / "root-only"
        (private / "venv/bin").mkdir(parents=True)
        private.chmod(0o700)
        assert unreachable([private / "venv/bin/voicedock"], "nobody") == private
        private.chmod(0o755)
        assert unreachable([private / "venv/bin/voicedock"], "nobody") is None
        assert unreachable([private / "venv/bin/voicedock"], "no-such-user-here") is None
    finally:
        shutil.rmtree(base)
