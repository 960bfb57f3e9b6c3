"""The project's Asterisk as a local user would probe it: whose files, which uid, which sockets, which AMI rights."""

from __future__ import annotations

import asyncio
import grp
import os
import pwd
import subprocess
from pathlib import Path
from typing import Any

import pytest

from voicedock_ari.settings import AsteriskSettings
from voicedock_ari.trunks import Ami

pytestmark = pytest.mark.asterisk

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = os.environ.get("VOICEDOCK_ASTERISK_USER", "voicedock-asterisk")
ASTERISK_DIRS = ("etc/asterisk", "var/lib/asterisk", "var/log/asterisk", "var/spool/asterisk")
# VoiceDock's own files in etc/asterisk: the secrets (root, read by VoiceDock) and the trunks it writes.
VOICEDOCK_FILES = ("etc/asterisk/voicedock-secrets.env", "etc/asterisk/voicedock")


def _root(asterisk: AsteriskSettings) -> Path:
    assert asterisk.root is not None
    return asterisk.root


def _asterisk_pid(root: Path) -> int:
    return int((root / "run/asterisk/asterisk.pid").read_text().strip())


def _ids(pid: int) -> tuple[list[int], list[int]]:
    """Real, effective, saved and filesystem uids and gids of a process."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return [int(x) for x in fields["Uid"].split()], [int(x) for x in fields["Gid"].split()]


def _foreign_owned(root: Path) -> list[str]:
    """Paths under Asterisk's directories whose owner or group is not Asterisk's account."""
    account = pwd.getpwnam(ACCOUNT)
    out = []
    for rel in ASTERISK_DIRS:
        for dirpath, dirnames, filenames in os.walk(root / rel):
            for name in [*dirnames, *filenames]:
                path = Path(dirpath) / name
                if any(str(path.relative_to(root)).startswith(own) for own in VOICEDOCK_FILES):
                    continue
                st = path.lstat()
                if st.st_uid != account.pw_uid or st.st_gid != account.pw_gid:
                    out.append(f"{path.relative_to(root)} {st.st_uid}:{st.st_gid}")
    return out


def test_asterisk_files_belong_to_its_own_host_account(asterisk: AsteriskSettings) -> None:
    root = _root(asterisk)
    account = pwd.getpwnam(ACCOUNT)
    assert 0 < account.pw_uid < 1000 and account.pw_shell.endswith("nologin"), "not a system account"
    for rel in ASTERISK_DIRS:
        st = (root / rel).stat()
        owner, group = pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name
        assert (owner, group) == (ACCOUNT, ACCOUNT), f"{rel} is owned by {owner}:{group} on the host"
    assert _foreign_owned(root) == []
    inside = subprocess.run(["chroot", str(root), "id", "-u", "asterisk"], capture_output=True, text=True, check=True)
    assert int(inside.stdout) == account.pw_uid, "the chroot's asterisk account has another uid than the host's"


def test_voicedock_secrets_are_not_readable_by_others(asterisk: AsteriskSettings) -> None:
    root = _root(asterisk)
    secrets = (root / "etc/asterisk/voicedock-secrets.env").stat()
    assert secrets.st_uid == 0 and secrets.st_mode & 0o007 == 0
    trunks_dir = (root / "etc/asterisk/voicedock").stat()
    assert grp.getgrgid(trunks_dir.st_gid).gr_name == ACCOUNT and trunks_dir.st_mode & 0o7777 == 0o2750


def test_asterisk_does_not_run_as_root(asterisk: AsteriskSettings) -> None:
    account = pwd.getpwnam(ACCOUNT)
    uids, gids = _ids(_asterisk_pid(_root(asterisk)))
    assert uids == [account.pw_uid] * 4, f"asterisk runs with uids {uids}"
    assert gids == [account.pw_gid] * 4, f"asterisk runs with gids {gids}"


def test_installer_takes_back_files_left_with_the_packages_uid(asterisk: AsteriskSettings) -> None:
    """A chroot from before the dedicated account had Asterisk's files on uid/gid 101; a re-run fixes them."""
    root = _root(asterisk)
    stale = [root / "var/lib/asterisk", root / "etc/asterisk/extensions.conf", root / "var/spool/asterisk/recording"]
    for path in stale:
        os.chown(path, 101, 101)
    run = subprocess.run([str(REPO / "scripts" / "install-asterisk")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _foreign_owned(root) == []
    assert (root / "var/spool/asterisk/recording").stat().st_mode & 0o7777 == 0o2770


def _listening(pid: int, proto: str) -> list[str]:
    out = subprocess.run(["ss", "-Hnlp", f"-{proto}"], capture_output=True, text=True, check=True).stdout
    return [line.split()[3] for line in out.splitlines() if f"pid={pid}," in line]


def test_asterisk_services_listen_on_loopback_only(asterisk: AsteriskSettings) -> None:
    """SIP, ARI and AMI on 127.0.0.1. Two wildcard UDP sockets on ephemeral ports remain: PJSIP's DNS
    resolver (pjproject binds it to any address and Asterisk has no setting for it); the systemd unit
    denies that bind (SocketBindDeny), docs/telephony.md explains."""
    pid = _asterisk_pid(_root(asterisk))
    tcp = _listening(pid, "t")
    assert tcp and all(addr.startswith("127.0.0.1:") for addr in tcp), tcp
    udp = _listening(pid, "u")
    assert f"127.0.0.1:{asterisk.sip_port}" in udp
    wildcard = [addr for addr in udp if not addr.startswith("127.0.0.1:")]
    assert len(wildcard) <= 2, udp
    for addr in wildcard:
        port = int(addr.rsplit(":", 1)[1])
        assert port >= 32768 and port != asterisk.sip_port, f"a service port on a wildcard address: {addr}"


async def _ami_action(asterisk: AsteriskSettings, action: dict[str, str]) -> dict[str, Any]:
    from panoramisk import Manager

    manager = Manager(host=asterisk.ami_host, port=asterisk.ami_port, username=asterisk.ami_user,
                      secret=asterisk.ami_password, ping_delay=0, loop=asyncio.get_running_loop())
    try:
        await asyncio.wait_for(manager.connect(), 5)
        return dict(await asyncio.wait_for(manager.send_action(action), 5))
    finally:
        manager.close()


async def test_ami_account_can_do_what_voicedock_does_and_no_more(asterisk: AsteriskSettings) -> None:
    ami = Ami(asterisk)
    await ami.reload()  # ModuleLoad reloads of res_pjsip.so and pbx_config.so (class system)
    assert await ami.registrations() == {}  # PJSIPShowRegistrationsOutbound (class system)
    # Everything else is refused: calls (ARI places them), configuration writes, call redirection, the CLI.
    for action in ({"Action": "Originate", "Channel": "Local/s@voicedock-local", "Application": "Wait", "Data": "1"},
                   {"Action": "UpdateConfig", "SrcFilename": "pjsip.conf", "DstFilename": "pjsip.conf"},
                   {"Action": "Redirect", "Channel": "PJSIP/none", "Exten": "s", "Context": "x", "Priority": "1"},
                   {"Action": "Command", "Command": "core show uptime"}):
        reply = await _ami_action(asterisk, action)
        assert reply.get("Response") == "Error" and "Permission denied" in str(reply.get("Message")), (action, reply)
