"""Model files: save/load round trip, hash and version checks (hybridinv/rl/model_file.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hybridinv.envs import GLOBAL_FEATURES, SKU_FEATURES
from hybridinv.rl.model_file import METADATA_FILE, WEIGHTS_FILE, ModelFileError, load_model, save_model
from hybridinv.rl.numpy_policy import SharedPolicyNetwork


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=8, seed=4)
    return save_model(tmp_path / "m", net, {"scenario": {"name": "test"}, "seed": 4, "reward_spec": {"kind": "x"}})


def test_round_trip(model_dir: Path) -> None:
    model = load_model(model_dir)
    again = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=8, seed=4)
    for key, value in again.weights.items():
        np.testing.assert_array_equal(model.network.weights[key], value)
    meta = model.metadata
    assert meta["seed"] == 4 and meta["scenario"] == {"name": "test"}
    assert meta["observation_spec"]["sku_features"] == list(SKU_FEATURES)
    assert len(meta["weights_sha256"]) == 64
    assert load_model(model_dir / METADATA_FILE).network.hidden == 8


def test_corrupted_weights_raise(model_dir: Path) -> None:
    path = model_dir / WEIGHTS_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(model_dir)


def test_replaced_weights_raise(model_dir: Path) -> None:
    other = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=8, seed=99)
    np.savez(model_dir / WEIGHTS_FILE, **other.weights)
    with pytest.raises(ModelFileError, match="corrupted or was replaced"):
        load_model(model_dir)


@pytest.mark.parametrize("key", ["observation_spec", "action_spec"])
def test_spec_version_mismatch_raises(model_dir: Path, key: str) -> None:
    meta_path = model_dir / METADATA_FILE
    meta = json.loads(meta_path.read_text())
    meta[key]["version"] = meta[key]["version"] + 100
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="retrain"):
        load_model(model_dir)
    assert load_model(model_dir, check_spec=False).network.hidden == 8


def test_format_version_and_missing_files(model_dir: Path, tmp_path: Path) -> None:
    meta_path = model_dir / METADATA_FILE
    meta = json.loads(meta_path.read_text())
    meta["format_version"] = 999
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="format version"):
        load_model(model_dir)
    with pytest.raises(ModelFileError, match="not a model directory"):
        load_model(tmp_path / "nowhere")
    a_file = tmp_path / "catalog.csv"
    a_file.write_text("sku\n")
    with pytest.raises(ModelFileError, match="a file, not a model directory"):  # was "[Errno 20] Not a directory"
        load_model(a_file)
    meta_path.write_text("{not json")
    with pytest.raises(ModelFileError, match="unreadable"):
        load_model(model_dir)
    assert issubclass(ModelFileError, ValueError)


def test_a_shipped_model_loads_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hybridinv.rl import models_directory

    monkeypatch.chdir(tmp_path)
    by_name = load_model("hybrid_ppo_multi_50")
    assert by_name.path == models_directory() / "hybrid_ppo_multi_50"
    (tmp_path / "hybrid_ppo_multi_50").mkdir()  # a path that exists wins over the shipped name
    with pytest.raises(ModelFileError, match="no metadata.json"):
        load_model("hybrid_ppo_multi_50")


@pytest.mark.parametrize(
    ("model", "key", "value", "message"),
    [
        ("hybrid_default", "feature_range", "abc", "feature_range must be a mapping"),
        ("hybrid_residual", "residual", "abc", "residual must be a mapping"),
        ("hybrid_residual", "residual", {"level": "x"}, "invalid capped_base_stock model .*'level'"),
        ("hybrid_default", "sku_features", 5, "per-SKU features differ"),
        # the same number of global features in another order loaded and fed the network the wrong inputs
        ("hybrid_ppo_multi_50", "global_features", "reversed", "global features differ"),
    ],
)
def test_malformed_metadata_entries_are_model_file_errors(
    tmp_path: Path, model: str, key: str, value: object, message: str
) -> None:
    """Were AttributeError ('str' object has no attribute 'get'), TypeError or a PlanningError."""
    import shutil

    from hybridinv.rl import Hybrid, models_directory

    directory = tmp_path / model
    shutil.copytree(models_directory() / model, directory)
    meta = json.loads((directory / METADATA_FILE).read_text())
    if key in ("sku_features", "global_features"):
        names = meta["observation_spec"][key]
        meta["observation_spec"][key] = names[::-1] if value == "reversed" else value
    else:
        meta[key] = value
    (directory / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match=message):
        Hybrid.load(directory)


def test_a_boolean_format_version_is_not_version_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # the finding: "format_version": true was accepted (True == 1)
    import json
    import shutil

    from hybridinv.rl import Hybrid, ModelFileError
    from hybridinv.rl.paths import models_directory

    directory = tmp_path / "m"
    shutil.copytree(models_directory() / "hybrid_default", directory)
    meta = json.loads((directory / "metadata.json").read_text())
    meta["format_version"] = True
    (directory / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="model format version True"):
        Hybrid.load(directory)


@pytest.mark.parametrize(("name", "algo"), [("ppo_multi_10", "PPO"), ("sac_multi_10", "SAC")])
def test_a_pure_rl_model_is_named_with_the_loader_to_use(tmp_path: Path, name: str, algo: str) -> None:
    # the finding: "weights file 'sb3.zip' is not a numpy .npz archive", which says nothing of what the folder is
    from hybridinv.rl import Hybrid, models_directory

    directory = tmp_path / name
    shutil.copytree(models_directory() / name, directory)
    for load in (Hybrid.load, load_model):
        with pytest.raises(ModelFileError, match=f"a pure-RL {algo} model .* load it with hybridinv.rl.PureRL.load"):
            load(directory)


def test_a_tampered_pure_rl_model_fails_its_hash_check_first(tmp_path: Path) -> None:
    from hybridinv.rl import Hybrid, models_directory

    directory = tmp_path / "ppo"
    shutil.copytree(models_directory() / "ppo_multi_10", directory)
    checkpoint = directory / "sb3.zip"
    checkpoint.write_bytes(checkpoint.read_bytes() + b"\0")
    with pytest.raises(ModelFileError) as info:
        Hybrid.load(directory)
    assert "PureRL" not in str(info.value) and "sb3.zip" in str(info.value)
    # without the hashes of its files the metadata's word is not taken either
    shutil.copy(models_directory() / "ppo_multi_10" / "sb3.zip", checkpoint)
    meta = json.loads((directory / "metadata.json").read_text())
    del meta["files"]
    (directory / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError) as info:
        Hybrid.load(directory)
    assert "PureRL" not in str(info.value)
