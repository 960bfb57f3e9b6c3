import json
from pathlib import Path

import pytest

from voicedock.engines import EngineError
from voicedock.engines.loader import REPO_MANIFEST, default_models_dir, load_engines, missing_files, read_manifest


def test_models_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VOICEDOCK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VOICEDOCK_MODELS_DIR", raising=False)
    assert default_models_dir() == tmp_path / "data" / "models"
    monkeypatch.setenv("VOICEDOCK_MODELS_DIR", str(tmp_path / "m"))
    assert default_models_dir() == tmp_path / "m"


def test_every_profile_names_models_and_packages_that_exist():
    manifest = json.loads(REPO_MANIFEST.read_text())
    assert set(manifest["profiles"]) >= {"ci", "cpu", "gpu"}
    for name, profile in manifest["profiles"].items():
        for role in ("stt", "llm", "tts"):
            for model_id in [profile[role]["model"], *profile[role].get("alternatives", [])]:
                model = manifest["models"][model_id]
                assert model["entry"] == "." or model["entry"] in model["files"], (name, model_id)
                for meta in model["files"].values():
                    assert len(meta["sha256"]) == 64 and meta["size"] > 0
                    assert all(part["package"] in manifest["packages"] for part in meta["registry"])
    cpu, gpu = manifest["profiles"]["cpu"], manifest["profiles"]["gpu"]
    assert all(cpu[r]["model"] == gpu[r]["model"] for r in ("stt", "llm", "tts"))


def test_an_uninstalled_profile_fails_with_the_install_command(tmp_path: Path):
    with pytest.raises(EngineError) as err:
        load_engines("ci", tmp_path)
    assert err.value.code == "model_missing"
    assert "scripts/install-models --profile ci" in str(err.value)


def test_unknown_profile_is_an_engine_error(tmp_path: Path):
    with pytest.raises(EngineError) as err:
        load_engines("nope", tmp_path)
    assert err.value.code == "profile_unknown"


def test_missing_files_reports_wrong_sizes(tmp_path: Path):
    manifest = read_manifest(tmp_path)
    target = tmp_path / "piper-en_US-joe-medium" / "en_US-joe-medium.onnx"
    target.parent.mkdir()
    target.write_bytes(b"short")
    missing = missing_files(manifest, tmp_path, ["piper-en_US-joe-medium"])
    assert "piper-en_US-joe-medium/en_US-joe-medium.onnx" in missing


def test_engines_never_import_the_http_or_telephony_layers():
    package = Path(__file__).resolve().parents[2] / "voicedock" / "engines"
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "import api" not in text and "from api" not in text, source.name
        assert "voicedock_ari" not in text, source.name


async def test_engines_are_loaded_once_per_process(monkeypatch, tmp_path: Path):
    from voicedock.engines import loader

    loads = []

    def fake_load(profile, models_dir, overrides=None):
        loads.append((profile, models_dir))
        return loader.fake_engines()

    monkeypatch.setattr(loader, "load_engines", fake_load)
    monkeypatch.setattr(loader, "_cache", {})
    first = await loader.get_engines("ci", tmp_path)
    second = await loader.get_engines("ci", tmp_path)
    assert first is second and [profile for profile, _ in loads] == ["ci"]
