"""systemd units for VoiceDock and its Asterisk, rendered from one plan (pure: tested without systemd).

Why these options: both services restart on failure and log to the journal; nothing runs as root
that need not. VoiceDock runs as its own user with Asterisk's group as a supplementary group (it
writes the trunks include and moves finished recordings out of Asterisk's spool). Asterisk starts
as root only for `chroot --userspec`, which drops to its own user before Asterisk runs. The
Asterisk unit allows binds only on its own ports: PJSIP's DNS resolver would otherwise bind two
wildcard UDP sockets that no Asterisk setting can move (see docs/telephony.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

VOICEDOCK_UNIT = "voicedock.service"
ASTERISK_UNIT = "voicedock-asterisk.service"
UNIT_DIR = Path("etc/systemd/system")

# Shared by both units: no new privileges, a read-only system, no access to kernel knobs.
_HARDENING = """NoNewPrivileges=yes
ProtectSystem=strict
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
SystemCallArchitectures=native"""


@dataclass(frozen=True)
class ServicePlan:
    """Everything the two units depend on; read from this machine by `install-service`."""

    user: str
    asterisk_user: str
    data_dir: Path
    asterisk_root: Path
    voicedock_bin: Path
    repo: Path
    sip_port: int = 5060
    ari_port: int = 8088
    ami_port: int = 5038
    rtp_start: int = 10000
    rtp_end: int = 20000
    stop_timeout_seconds: int = 330  # the drain limit on SIGTERM, and some room to close

    def voicedock_writable(self) -> list[Path]:
        """What VoiceDock writes: its data, the trunks include, Asterisk's recording spool."""
        return [self.data_dir, self.asterisk_root / "etc/asterisk/voicedock",
                self.asterisk_root / "var/spool/asterisk/recording"]


def voicedock_unit(plan: ServicePlan) -> str:
    writable = " ".join(str(p) for p in plan.voicedock_writable())
    return f"""# Written by `voicedock install-service`; run it again instead of editing.
[Unit]
Description=VoiceDock voice-AI telephony backend
Documentation=file://{plan.repo}/README.md
After=network-online.target {ASTERISK_UNIT}
Wants=network-online.target {ASTERISK_UNIT}

[Service]
Type=simple
User={plan.user}
Group={plan.user}
SupplementaryGroups={plan.asterisk_user}
Environment=VOICEDOCK_DATA_DIR={plan.data_dir}
Environment=VOICEDOCK_ASTERISK_ROOT={plan.asterisk_root}
Environment=PYTHONUNBUFFERED=1
EnvironmentFile=-/etc/voicedock/voicedock.env
WorkingDirectory={plan.data_dir}
ExecStart={plan.voicedock_bin} serve
Restart=on-failure
RestartSec=2
TimeoutStopSec={plan.stop_timeout_seconds}
KillSignal=SIGTERM
StandardOutput=journal
StandardError=journal
SyslogIdentifier=voicedock
UMask=0077
LimitNOFILE=65536
{_HARDENING}
ProtectHome=read-only
ReadWritePaths={writable}
CapabilityBoundingSet=
AmbientCapabilities=
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6

[Install]
WantedBy=multi-user.target
"""


def asterisk_unit(plan: ServicePlan) -> str:
    root = plan.asterisk_root
    return f"""# Written by `voicedock install-service`; run it again instead of editing.
[Unit]
Description=Asterisk for VoiceDock (chroot {root})
Documentation=file://{plan.repo}/docs/telephony.md
After=network-online.target
Wants=network-online.target
Before={VOICEDOCK_UNIT}

[Service]
Type=simple
# chroot resolves the user inside the chroot: its `asterisk` account has {plan.asterisk_user}'s uid/gid.
ExecStart=/usr/sbin/chroot --userspec=asterisk:asterisk --groups=asterisk {root} /usr/sbin/asterisk -C /etc/asterisk/asterisk.conf -f
Restart=on-failure
RestartSec=2
StandardOutput=journal
StandardError=journal
SyslogIdentifier=voicedock-asterisk
UMask=0007
LimitNOFILE=8192
{_HARDENING}
ProtectHome=yes
ReadWritePaths={root}/var/lib/asterisk {root}/var/log/asterisk {root}/var/spool/asterisk {root}/var/cache/asterisk {root}/run/asterisk
CapabilityBoundingSet=CAP_SYS_CHROOT CAP_SETUID CAP_SETGID
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SocketBindAllow=udp:{plan.sip_port}
SocketBindAllow=tcp:{plan.ari_port}
SocketBindAllow=tcp:{plan.ami_port}
SocketBindAllow=udp:{plan.rtp_start}-{plan.rtp_end}
SocketBindDeny=any

[Install]
WantedBy=multi-user.target
"""


def units(plan: ServicePlan) -> dict[str, str]:
    """File name -> content, in the order they are written."""
    return {ASTERISK_UNIT: asterisk_unit(plan), VOICEDOCK_UNIT: voicedock_unit(plan)}
