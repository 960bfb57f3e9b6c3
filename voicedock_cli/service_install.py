"""`voicedock install-service`: systemd units for VoiceDock and its Asterisk, a service user, its data directory.

Why a command and not a file in the repository: the units name this checkout's virtualenv, the
Asterisk chroot, the data directory and Asterisk's ports, which differ per machine. `--root DIR`
writes under DIR instead of `/` (packaging, tests) and then leaves users and ownership alone;
`--dry-run` prints what would be done and changes nothing.
"""

from __future__ import annotations

import argparse
import functools
import grp
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from voicedock.config import Settings
from voicedock_ari.settings import SECRETS_RELATIVE, asterisk_root, read_env_file

from .service_units import UNIT_DIR, ServicePlan, units

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = Path("/var/lib/voicedock/data")  # beside, not above, the Asterisk chroot


@dataclass
class Steps:
    """What the command does, in order; printed by --dry-run, run otherwise."""

    items: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    def add(self, what: str, fn: Callable[[], None]) -> None:
        self.items.append((what, fn))


def _plan(args: argparse.Namespace) -> ServicePlan:
    settings = Settings.from_env()
    root = Path(args.asterisk_root) if args.asterisk_root else asterisk_root()
    env: dict[str, str] = {}
    try:
        env = read_env_file(root / SECRETS_RELATIVE)
    except OSError:
        pass  # not installed yet (or --root packaging): the installer's defaults
    ari_port = env.get("VOICEDOCK_ARI_URL", "http://127.0.0.1:8088").rsplit(":", 1)[-1]
    return ServicePlan(
        user=args.user, asterisk_user=args.asterisk_user,
        data_dir=Path(args.data_dir) if args.data_dir else DEFAULT_DATA_DIR,
        asterisk_root=root, voicedock_bin=Path(sys.executable).with_name("voicedock"), repo=REPO,
        sip_port=int(env.get("VOICEDOCK_SIP_PORT", 5060)), ari_port=int(ari_port),
        ami_port=int(env.get("VOICEDOCK_AMI_PORT", 5038)), rtp_start=int(env.get("VOICEDOCK_RTP_START", 10000)),
        rtp_end=int(env.get("VOICEDOCK_RTP_END", 20000)),
        stop_timeout_seconds=int(getattr(settings, "drain_seconds", 300.0)) + 30,  # SIGTERM drains calls first
    )


def _system_user(name: str, home: Path) -> None:
    if _exists(pwd.getpwnam, name):
        return
    subprocess.run(["useradd", "--system", "--user-group", "--home-dir", str(home), "--no-create-home",
                    "--shell", "/usr/sbin/nologin", "--comment", "VoiceDock", name], check=True)


def _exists(lookup: Callable[[str], object], name: str) -> bool:
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def _own_tree(path: Path, user: str) -> None:
    """The data directory and everything in it: the service user's alone (700 on the directory)."""
    uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(user).gr_gid
    path.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            os.chown(name, uid, gid, follow_symlinks=False)
    path.chmod(0o700)


def _asterisk_access(plan: ServicePlan) -> None:
    """The service user reads the ARI/AMI secrets and writes the trunks include (as the installer does)."""
    secrets = plan.asterisk_root / SECRETS_RELATIVE
    trunks = plan.asterisk_root / "etc/asterisk/voicedock"
    if not secrets.exists() or not trunks.is_dir():
        print(f"note: no Asterisk in {plan.asterisk_root} yet; scripts/install-asterisk sets its access up")
        return
    uid, gid = pwd.getpwnam(plan.user).pw_uid, grp.getgrnam(plan.user).gr_gid
    os.chown(secrets, 0, gid)
    secrets.chmod(0o640)
    for path in [trunks, *trunks.iterdir()]:
        os.chown(path, uid, -1)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def _daemon_reload() -> None:
    subprocess.run(["systemctl", "daemon-reload"], check=True)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(0o644)
    tmp.replace(path)


def unreachable(paths: list[Path], user: str) -> Path | None:
    """The first directory above one of `paths` that `user` cannot enter (a checkout or a Python under /root).

    An approximation (others' execute bit, or ownership; groups are not considered), for a warning.
    """
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return None
    for path in paths:
        for parent in reversed(path.parents):
            st = parent.stat()
            if not st.st_mode & 0o001 and st.st_uid != uid:
                return parent
    return None


def steps(args: argparse.Namespace, plan: ServicePlan) -> Steps:
    target = Path(args.root) if args.root else Path("/")
    out = Steps()
    system = args.root is None  # users, ownership and systemd itself only on the real system
    if system:
        out.add(f"create system user {plan.user} (if missing)", lambda: _system_user(plan.user, plan.data_dir))
        out.add(f"create system user {plan.asterisk_user} (if missing)",
                lambda: _system_user(plan.asterisk_user, Path("/nonexistent")))
        out.add(f"make the data directory {plan.data_dir} {plan.user}'s alone (mode 700)",
                lambda: _own_tree(plan.data_dir, plan.user))
        out.add(f"let {plan.user} read Asterisk's secrets file and write its trunks include", lambda: _asterisk_access(plan))
    else:
        data = target / plan.data_dir.relative_to("/")
        out.add(f"make the data directory {data} (mode 700)", lambda: _private_dir(data))
    for name, text in units(plan).items():
        path = target / UNIT_DIR / name
        out.add(f"write {path}", functools.partial(_write, path, text))
    if system and Path("/run/systemd/system").is_dir():
        out.add("run systemctl daemon-reload", _daemon_reload)
    return out


def cmd_install_service(args: argparse.Namespace) -> int:
    plan = _plan(args)
    if plan.data_dir == plan.asterisk_root or plan.data_dir in plan.asterisk_root.parents:
        print(f"error: the data directory {plan.data_dir} contains the Asterisk chroot {plan.asterisk_root}; "
              f"choose another (default {DEFAULT_DATA_DIR})", file=sys.stderr)
        return 2
    if args.root is None and not args.dry_run and os.geteuid() != 0:
        print("error: install-service needs root (users, /etc/systemd/system); try --dry-run or --root DIR",
              file=sys.stderr)
        return 1
    todo = steps(args, plan)
    for what, fn in todo.items:
        print(("would " if args.dry_run else "") + what)
        if not args.dry_run:
            fn()
    # The virtualenv's python is often a link to an interpreter elsewhere (pyenv under /root, say).
    blocked = unreachable([plan.voicedock_bin, Path(sys.executable).resolve()], plan.user)
    if blocked is not None:
        print(f"warning: {plan.user} cannot enter {blocked}, so it cannot run {plan.voicedock_bin}; put the "
              f"checkout and its Python somewhere it can read (e.g. /opt/voicedock)", file=sys.stderr)
    if args.dry_run:
        for name, text in units(plan).items():
            print(f"\n--- {name}\n{text}", end="")
        return 0
    if args.root is None:
        how = "systemctl enable --now voicedock-asterisk voicedock" if shutil.which("systemctl") else "(no systemctl)"
        print(f"installed; start with: {how}")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("install-service", help="install systemd units for VoiceDock and its Asterisk")
    p.add_argument("--user", default="voicedock", help="system user VoiceDock runs as (created if missing)")
    p.add_argument("--asterisk-user", default=os.environ.get("VOICEDOCK_ASTERISK_USER", "voicedock-asterisk"),
                   help="system user Asterisk runs as (scripts/install-asterisk creates it)")
    p.add_argument("--data-dir", help=f"the service's data directory (default {DEFAULT_DATA_DIR})")
    p.add_argument("--asterisk-root", help="the Asterisk chroot (default: as scripts/install-asterisk)")
    p.add_argument("--root", help="write under this directory instead of /; no users, no ownership changes")
    p.add_argument("--dry-run", action="store_true", help="print what would be done and the units; change nothing")
    p.set_defaults(fn=cmd_install_service)
