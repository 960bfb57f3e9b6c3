"""SIPp caller scenarios for the call tests and the benchmark (sip-tester, Debian's sipp 3.6).

One generated UAC: INVITE with PCMU, optionally streams a WAV (`rtp_stream`), sends DTMF as SIP
INFO (`application/dtmf-relay`, which res_pjsip_dtmf_info turns into ChannelDtmfReceived), holds
the call, then hangs up. The caller's BYE may race a BYE from the far end, so the scenario also
accepts being hung up on.
"""

from __future__ import annotations

from pathlib import Path

_HEAD = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="voicedock-uac">
"""

_INVITE = """  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
      a=ptime:20
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
"""

_REQUEST = """  <send retrans="500">
    <![CDATA[
      {method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
{extra}      Content-Length: [len]
{body}
    ]]>
  </send>
"""


def _info(digit: str, cseq: int) -> str:
    extra = "      Content-Type: application/dtmf-relay\n"
    body = f"\n      Signal={digit}\n      Duration=160\n"
    return _REQUEST.format(method="INFO", cseq=cseq, extra=extra, body=body) + '  <recv response="200"/>\n'


def uac_scenario(*, hold_ms: int = 2000, dtmf: str = "", rtp_wav: Path | None = None) -> str:
    """The scenario XML; `rtp_wav` must be 8 kHz mono PCMU (sox -e u-law)."""
    parts = [_HEAD, _INVITE]
    if rtp_wav is not None:
        parts.append(f'  <nop><action><exec rtp_stream="{rtp_wav},-1,0"/></action></nop>\n')
    parts.append('  <pause milliseconds="500"/>\n')
    cseq = 2
    for digit in dtmf:
        parts.append(_info(digit, cseq))
        parts.append('  <pause milliseconds="150"/>\n')
        cseq += 1
    parts.append(f'  <pause milliseconds="{hold_ms}"/>\n')
    if rtp_wav is not None:
        parts.append('  <nop><action><exec rtp_stream="pause"/></action></nop>\n')
    parts.append(_REQUEST.format(method="BYE", cseq=cseq, extra="", body=""))
    parts.append('  <recv response="200" crlf="true"/>\n')
    parts.append('  <ResponseTimeRepartition value="10, 20, 50, 100, 200"/>\n</scenario>\n')
    return "".join(parts)


def sipp_command(scenario: Path, target: str, service: str, *, calls: int = 1, rate: float = 10.0,
                 local_port: int = 0, timeout_s: int = 60) -> list[str]:
    """Command line for `calls` calls to `service` at `target` (host:port), at most `calls` at once."""
    cmd = ["sipp", "-sf", str(scenario), target, "-s", service, "-m", str(calls), "-l", str(calls),
           "-r", str(rate), "-i", "127.0.0.1", "-mi", "127.0.0.1", "-nostdin",
           "-timeout", f"{timeout_s}s", "-timeout_error", "-trace_err", "-max_socket", "2048"]
    if local_port:
        cmd += ["-p", str(local_port)]
    return cmd
