#!/usr/bin/env python3
"""API benchmark: authenticated GET/POST /api/v1/assistants against a bare aiohttp handler.

    .venv/bin/python scripts/bench_api.py [--repeat 3] [--get-seconds 10] [--post-seconds 5]

Each round starts a fresh VoiceDock server (new data directory, one API key, 20 assistants) and a
bare aiohttp app on the same Python, then drives both with `wrk` on 127.0.0.1 (installed with
`apt-get install -y wrk` when missing). It prints one JSON document and writes it to
bench-results/api.json. The goals are recorded (`goals`), never enforced: the exit status is 0
whenever the benchmark itself ran, whatever the numbers.

This is a measurement script, not a test: numbers depend on the machine and on whatever else runs
on it, so `machine` describes the host and `load_before` records how busy it was.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voicedock_bench.machine import describe as describe_machine
from voicedock_bench.ports import free_port

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
RATE_LIMIT = 100_000_000
SEED_ASSISTANTS = 20
POST_BODY = {"name": "Bench", "system_prompt": "You are a helpful assistant."}
GOALS = {"get_requests_per_s_min": 3000, "get_ratio_to_bare_min": 0.4, "get_p99_ms_max": 25.0}

WRK_LUA = r"""
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %.1f, "mean": %.1f, "stdev": %.1f, "max": %.1f, ' ..
    '"p50": %.1f, "p90": %.1f, "p99": %.1f, "p99_9": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
"""


# ---------------------------------------------------------------------------------------------
# The bare baseline: run as `bench_api.py _bare-server ...` in its own process.

def bare_server(port: int, get_body: Path, post_body: Path, static: bool) -> None:
    """A minimal aiohttp app: GET serialises a dict shaped like VoiceDock's list reply (or, with
    `static`, sends those bytes as they are); POST reads the JSON body and answers 201 with a dict
    shaped like VoiceDock's create reply."""
    from aiohttp import web

    get_payload = json.loads(get_body.read_text())
    get_bytes = get_body.read_bytes()
    post_payload = json.loads(post_body.read_text())

    async def get(request: web.Request) -> web.Response:
        if static:
            return web.Response(body=get_bytes, content_type="application/json")
        return web.json_response(get_payload)

    async def post(request: web.Request) -> web.Response:
        data = await request.json()
        return web.json_response({"assistant": {**post_payload["assistant"], "name": data.get("name")}}, status=201)

    app = web.Application()
    app.router.add_get("/api/v1/assistants", get)
    app.router.add_post("/api/v1/assistants", post)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None, handle_signals=True)


# ---------------------------------------------------------------------------------------------
# Machine and software description.

def _version(module: str) -> str | None:
    from importlib import metadata
    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        return None


def software(wrk: str) -> dict[str, Any]:
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, timeout=10)
    return {
        "aiohttp": _version("aiohttp"), "pydantic": _version("pydantic"), "sqlite_utils": _version("sqlite-utils"),
        "uvloop_installed": _version("uvloop"), "orjson_installed": _version("orjson"),
        "wrk": (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "unknown",
    }


# ---------------------------------------------------------------------------------------------
# Processes.

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("bench_api: wrk not found; installing it with apt-get", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=True, timeout=300,
                   stdout=sys.stderr, stderr=sys.stderr, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("apt-get install -y wrk did not provide a wrk binary")
    return found


class Procs:
    """Every subprocess we start, each in its own session, stopped on exit whatever happens."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], cpu: int | None, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        argv = pin(argv, cpu)
        with log.open("wb") as fh:
            proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.procs)):
            self.stop(proc)


def pin(argv: list[str], cpu: int | None) -> list[str]:
    if cpu is None:
        return argv
    taskset = shutil.which("taskset")
    if taskset:
        return [taskset, "-c", str(cpu), *argv]
    # No taskset: sched_setaffinity in the child does the same thing.
    return [sys.executable, "-c", f"import os,sys; os.sched_setaffinity(0, {{{cpu}}}); os.execvp(sys.argv[1], sys.argv[1:])",
            *argv]


def http(method: str, url: str, key: str | None = None, body: dict[str, Any] | None = None,
         timeout: float = 10) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening; log:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {HOST}:{port} within {timeout}s; log:\n{log.read_text()[-3000:]}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process, all its threads included (from /proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(wrk: str, lua: Path, url: str, seconds: float, args: argparse.Namespace, cpu: int | None,
            method: str, auth: str | None, body: str | None, server_pid: int | None = None) -> dict[str, Any]:
    argv = pin([wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{max(1, round(seconds))}s",
                "--timeout", "5s", "-s", str(lua), url], cpu)
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_AUTH": auth or "", "BENCH_BODY": body or ""}
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    # subprocess.run kills wrk if it overruns; wrk holds no children of its own.
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 30, cwd=REPO)
    cpu_after = cpu_seconds(server_pid) if server_pid else None
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-2000:]} {out.stderr[-2000:]}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    duration = raw["duration_us"] / 1e6
    lat = {k: round(v / 1000, 3) for k, v in raw["latency_us"].items()}
    errors = raw["errors"]
    result = {
        "requests": raw["requests"], "duration_s": round(duration, 3),
        "requests_per_s": round(raw["requests"] / duration, 1) if duration else 0.0,
        "latency_ms": lat, "errors": errors, "valid": sum(errors.values()) == 0,
        "transfer_bytes": raw["bytes"],
    }
    if cpu_before is not None and cpu_after is not None and raw["requests"]:
        # Server CPU per request is much less sensitive to other load on the machine than the rate.
        used = cpu_after - cpu_before
        result["server_cpu_ms_per_request"] = round(used * 1000 / raw["requests"], 4)
        result["server_cpu_utilisation"] = round(used / duration, 3) if duration else None
    return result


# ---------------------------------------------------------------------------------------------
# One round: fresh data directory, fresh servers, GET then POST on both.

def one_round(n: int, args: argparse.Namespace, wrk: str, cpus: dict[str, int | None], work: Path,
              procs: Procs) -> dict[str, Any]:
    data_dir = work / f"round{n}" / "data"
    data_dir.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "VOICEDOCK_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT), "VOICEDOCK_HOST": HOST}
    env.pop("VOICEDOCK_DATA_DIR", None)
    env.pop("VOICEDOCK_PORT", None)

    created = subprocess.run([sys.executable, "-m", "voicedock_cli.main", "keys", "create", "--name", "bench",
                              "--data-dir", str(data_dir)], cwd=REPO, env=env, capture_output=True, text=True,
                             timeout=60)
    if created.returncode != 0:
        raise RuntimeError(f"keys create failed: {created.stderr[-2000:]}")
    key = created.stdout.strip().splitlines()[-1].strip()

    vd_port, bare_port = free_port(), free_port()
    entry = [str(Path(args.serve_entry).resolve())] if args.serve_entry else ["-m", "voicedock_cli.main"]
    vd_log = work / f"round{n}" / "voicedock.log"
    vd = procs.start([sys.executable, *entry, "serve", "--data-dir", str(data_dir), "--port", str(vd_port),
                      "--no-telephony", "--log-level", "WARNING"], cpus["server"], vd_log, env)
    wait_ready(vd, vd_port, vd_log)
    vd_url = f"http://{HOST}:{vd_port}/api/v1/assistants"

    post_reply = b""
    for i in range(SEED_ASSISTANTS):
        status, post_reply = http("POST", vd_url, key, {**POST_BODY, "name": f"Bench {i:02d}"})
        if status != 201:
            raise RuntimeError(f"seeding assistant {i} failed: {status} {post_reply[:500]!r}")
    status, get_reply = http("GET", vd_url, key)
    if status != 200:
        raise RuntimeError(f"GET {vd_url} answered {status}: {get_reply[:500]!r}")
    listed = json.loads(get_reply)
    if len(listed["assistants"]) != SEED_ASSISTANTS:
        raise RuntimeError(f"expected {SEED_ASSISTANTS} assistants, listed {len(listed['assistants'])}")

    (work / f"round{n}" / "get.json").write_bytes(get_reply)
    (work / f"round{n}" / "post.json").write_bytes(post_reply)
    bare_log = work / f"round{n}" / "bare.log"
    bare = procs.start([sys.executable, str(Path(__file__).resolve()), "_bare-server", "--port", str(bare_port),
                        "--get-body", str(work / f"round{n}" / "get.json"),
                        "--post-body", str(work / f"round{n}" / "post.json"),
                        *(["--static"] if args.bare_static else [])], cpus["server"], bare_log, env)
    wait_ready(bare, bare_port, bare_log)
    bare_url = f"http://{HOST}:{bare_port}/api/v1/assistants"
    status, bare_get = http("GET", bare_url)
    if status != 200:
        raise RuntimeError(f"bare GET answered {status}")

    lua = work / "bench.lua"
    auth = f"Bearer {key}"
    body = json.dumps(POST_BODY)
    result: dict[str, Any] = {"round": n, "response_bytes": {"voicedock_get": len(get_reply), "bare_get": len(bare_get),
                                                            "voicedock_post": len(post_reply)}}

    def measure(url: str, seconds: float, method: str, with_auth: bool, pid: int) -> dict[str, Any]:
        kwargs = {"method": method, "auth": auth if with_auth else None, "body": body if method == "POST" else None}
        if args.warmup_seconds > 0:
            run_wrk(wrk, lua, url, args.warmup_seconds, args, cpus["wrk"], **kwargs)
        return run_wrk(wrk, lua, url, seconds, args, cpus["wrk"], server_pid=pid, **kwargs)

    # Alternate which server goes first from round to round so slow drift in background load
    # does not always favour the same side.
    order = [("bare", bare_url, False, bare.pid), ("voicedock", vd_url, True, vd.pid)]
    if n % 2:
        order.reverse()
    for phase, seconds in (("get", args.get_seconds), ("post", args.post_seconds)):
        if seconds <= 0:
            continue
        out: dict[str, Any] = {}
        for name, url, with_auth, pid in order:
            out[name] = measure(url, seconds, phase.upper(), with_auth, pid)
        out["ratio_to_bare"] = round(out["voicedock"]["requests_per_s"] / out["bare"]["requests_per_s"], 3)
        vd_cpu, bare_cpu = (out[k].get("server_cpu_ms_per_request") for k in ("voicedock", "bare"))
        if vd_cpu and bare_cpu:
            # The same comparison by CPU cost, which background load on a shared machine disturbs less.
            out["cpu_ratio_to_bare"] = round(bare_cpu / vd_cpu, 3)
        result[phase] = out

    if "post" in result:
        status, page = http("GET", vd_url + "?limit=1", key)
        result["post"]["rows_after"] = json.loads(page)["pagination"]["total"] if status == 200 else None
    procs.stop(bare)
    procs.stop(vd)
    return result


# ---------------------------------------------------------------------------------------------

def _median_tree(items: list[Any]) -> Any:
    first = items[0]
    if isinstance(first, dict):
        return {k: _median_tree([i[k] for i in items if isinstance(i, dict) and k in i]) for k in first}
    if isinstance(first, bool):
        return all(items)
    if isinstance(first, int | float):
        value = statistics.median(items)
        return round(value, 3) if isinstance(value, float) else value
    return first


def summarise(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    keep = [{k: v for k, v in r.items() if k != "round"} for r in rounds]
    return _median_tree(keep)


def goals(summary: dict[str, Any]) -> dict[str, Any]:
    get = summary.get("get")
    if not get:
        return {"targets": GOALS, "evaluated": False}
    rps, ratio, p99 = get["voicedock"]["requests_per_s"], get["ratio_to_bare"], get["voicedock"]["latency_ms"]["p99"]
    met = {"get_requests_per_s": rps >= GOALS["get_requests_per_s_min"],
           "get_ratio_to_bare": ratio >= GOALS["get_ratio_to_bare_min"],
           "get_p99_ms": p99 <= GOALS["get_p99_ms_max"]}
    return {"targets": GOALS, "measured": {"get_requests_per_s": rps, "get_ratio_to_bare": ratio, "get_p99_ms": p99},
            "met": met, "all_met": all(met.values()), "evaluated": True,
            "machine_as_specified": os.cpu_count() == 2,
            "note": "Goals are stated for a 2-core machine shared by server and load generator; recorded, never enforced."}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=1, help="rounds to run; `summary` holds the medians (default 1)")
    p.add_argument("--get-seconds", type=float, default=10)
    p.add_argument("--post-seconds", type=float, default=5)
    p.add_argument("--warmup-seconds", type=float, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-pin", action="store_true", help="do not pin the server and wrk to separate cores")
    p.add_argument("--serve-entry", help="experiments: run `python FILE serve ...` instead of `-m voicedock_cli.main`")
    p.add_argument("--bare-static", action="store_true",
                   help="the bare GET sends pre-encoded bytes instead of serialising its dict on each request")
    p.add_argument("--output", default=str(REPO / "bench-results" / "api.json"))
    sub = p.add_subparsers(dest="internal")
    b = sub.add_parser("_bare-server", help=argparse.SUPPRESS)
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--get-body", type=Path, required=True)
    b.add_argument("--post-body", type=Path, required=True)
    b.add_argument("--static", action="store_true")
    args = p.parse_args(argv)
    if args.internal == "_bare-server":
        bare_server(args.port, args.get_body, args.post_body, args.static)
        return 0

    # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally below stops every server.
    def _stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)

    started = datetime.now(UTC)
    report: dict[str, Any] = {"benchmark": "api", "started_at": started.isoformat(timespec="seconds"),
                              "machine": describe_machine()}
    procs = Procs()
    try:
        wrk = ensure_wrk()
        report["software"] = software(wrk)
        usable = sorted(os.sched_getaffinity(0))
        pinned = not args.no_pin and len(usable) >= 2
        cpus = {"server": usable[0] if pinned else None, "wrk": usable[1] if pinned else None}
        report["setup"] = {
            "endpoint": "/api/v1/assistants", "host": HOST, "load_generator": "wrk (closed loop)",
            "connections": args.connections, "wrk_threads": args.threads,
            "warmup_s": args.warmup_seconds, "get_s": args.get_seconds, "post_s": args.post_seconds,
            "rounds": args.repeat, "seed_assistants": SEED_ASSISTANTS, "get_default_limit": 50,
            "post_body": POST_BODY,
            "rate_limit_env": {"VOICEDOCK_RATE_LIMIT_PER_MINUTE": RATE_LIMIT},
            "server": (f"python {args.serve_entry} serve --no-telephony" if args.serve_entry
                       else "python -m voicedock_cli.main serve --no-telephony") + " (asyncio default loop)",
            "bare": "aiohttp app on the same Python: GET "
                    + ("sends a copy of VoiceDock's list reply as pre-encoded bytes" if args.bare_static
                       else "json_response (json.dumps on each request) of a copy of VoiceDock's list reply")
                    + "; POST reads the JSON body and answers 201",
            "pinning": ({"server_cpu": cpus["server"], "wrk_cpu": cpus["wrk"],
                         "how": "taskset -c" if shutil.which("taskset") else "sched_setaffinity"}
                        if pinned else "none"),
            "notes": [
                "server and load generator share the machine's cores"
                + (f" ({len(usable)} usable); each server is pinned to one core and wrk to another" if pinned
                   else f" ({len(usable)} usable); nothing pinned"),
                f"rate limit raised to {RATE_LIMIT}/min via VOICEDOCK_RATE_LIMIT_PER_MINUTE so it never triggers",
                "each round uses a fresh data directory; GET lists the 20 seeded rows, POST phases run after GET",
                "latency is wrk's (closed loop, no coordinated-omission correction)",
            ],
        }
        rounds = []
        with tempfile.TemporaryDirectory(prefix="vd-bench-") as tmp:
            work = Path(tmp)
            (work / "bench.lua").write_text(WRK_LUA)
            try:
                for n in range(1, args.repeat + 1):
                    print(f"bench_api: round {n}/{args.repeat}", file=sys.stderr, flush=True)
                    rounds.append(one_round(n, args, wrk, cpus, work, procs))
            finally:
                procs.stop_all()  # before the data directories go away
        report["runs"] = rounds
        report["summary"] = {"of_rounds": len(rounds), "how": "median of each figure over the rounds, taken separately",
                             **summarise(rounds)}
        report["goals"] = goals(report["summary"])
        report["valid"] = all(r[ph]["voicedock"]["valid"] and r[ph]["bare"]["valid"]
                              for r in rounds for ph in ("get", "post") if ph in r)
        rc = 0
    except KeyboardInterrupt as err:
        report["error"] = f"interrupted: {err}"
        rc = 130
    except Exception as err:  # noqa: BLE001 - report what broke, after cleaning up
        report["error"] = f"{type(err).__name__}: {err}"
        rc = 1
    finally:
        procs.stop_all()
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = json.dumps(report, indent=2)
    print(text)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
