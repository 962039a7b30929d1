"""Pure-RL loading (hybridinv/rl/pure.py): hashes first, and nothing of a checkpoint is ever unpickled."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hybridinv import Constraints, plan, scenarios
from hybridinv.examples import example_frames
from hybridinv.rl import PureRL, models_directory
from hybridinv.rl.integrity import ModelFileError
from hybridinv.sim.simulator import Simulator

pytest.importorskip("torch")


class _WritesMarker:
    """Unpickling this object creates ``path`` (a stand-in for arbitrary code)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(models_directory() / name, target)
    return target


def _rewrite_entry(checkpoint: Path, entry: str, change: object) -> None:
    """Rewrite one member of a zip archive (``change`` maps the old bytes to the new)."""
    with zipfile.ZipFile(checkpoint) as source:
        members = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for filename, data in members:
            out.writestr(filename, change(data) if filename == entry else data)  # type: ignore[operator]
    checkpoint.write_bytes(buffer.getvalue())


def _inject_data_payload(checkpoint: Path, marker: Path) -> None:
    """Put a pickle that creates ``marker`` into the cloudpickle field SB3's load decodes."""

    def change(data: bytes) -> bytes:
        saved = json.loads(data)
        saved["policy_class"][":serialized:"] = base64.b64encode(pickle.dumps(_WritesMarker(marker))).decode()
        return json.dumps(saved).encode()

    _rewrite_entry(checkpoint, "data", change)


def _rehash(directory: Path) -> None:
    """What an attacker who controls the whole directory does: record the new hashes in the metadata."""
    meta_path = directory / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["files"] = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in directory.iterdir()
        if path.name != "metadata.json"
    }
    meta["weights_sha256"] = meta["files"][meta["weights_file"]]
    meta_path.write_text(json.dumps(meta))


def test_payload_in_a_checkpoint_fails_the_hash_and_never_runs(tmp_path: Path) -> None:
    directory = _copy("ppo_multi_50", tmp_path)
    marker = tmp_path / "marker"
    _inject_data_payload(directory / "sb3.zip", marker)
    catalog, state = example_frames()
    with pytest.raises(ModelFileError, match="SHA-256"):
        plan(state, catalog, Constraints(), policy="ppo", model=directory)
    assert not marker.exists()


def test_payload_in_a_rehashed_checkpoint_is_never_decoded(tmp_path: Path) -> None:
    """Even with metadata rewritten to match, the cloudpickle fields are not read: the actor loads, no code runs."""
    directory = _copy("ppo_multi_50", tmp_path)
    marker = tmp_path / "marker"
    _inject_data_payload(directory / "sb3.zip", marker)
    _rehash(directory)
    agent = PureRL.load(directory)
    assert not marker.exists()
    obs = Simulator(scenarios.get("multi_50")).reset(seed=0)
    np.testing.assert_array_equal(agent.act(obs), PureRL.load("ppo_multi_50").act(obs))
    assert not marker.exists()


def test_pickled_code_in_policy_weights_is_refused(tmp_path: Path) -> None:
    import torch

    directory = _copy("sac_multi_50", tmp_path)
    marker = tmp_path / "marker"
    evil = io.BytesIO()
    torch.save({"actor.mu.weight": _WritesMarker(marker)}, evil)
    _rewrite_entry(directory / "sb3.zip", "policy.pth", lambda _: evil.getvalue())
    _rehash(directory)
    with pytest.raises(ModelFileError, match="not a plain tensor state dict"):
        PureRL.load(directory)
    assert not marker.exists()


def test_checkpoint_without_file_hashes_is_refused(tmp_path: Path) -> None:
    directory = _copy("ppo_multi_50", tmp_path)
    meta_path = directory / "metadata.json"
    meta = json.loads(meta_path.read_text())
    del meta["files"]
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="no 'files' hashes"):
        PureRL.load(directory)
    with pytest.raises(ModelFileError, match="model directory"):
        PureRL.load(directory / "sb3.zip")


def test_custom_policy_settings_are_refused(tmp_path: Path) -> None:
    directory = _copy("ppo_multi_50", tmp_path)

    def change(data: bytes) -> bytes:
        saved = json.loads(data)
        saved["policy_kwargs"]["ortho_init"] = False
        return json.dumps(saved).encode()

    _rewrite_entry(directory / "sb3.zip", "data", change)
    _rehash(directory)
    with pytest.raises(ModelFileError, match="unsupported policy settings"):
        PureRL.load(directory)


@pytest.mark.parametrize("algo", ["ppo", "sac"])
def test_numpy_actor_matches_stable_baselines3(algo: str) -> None:
    """Independent truth: SB3's own load and predict of the shipped (trusted) checkpoint."""
    sb3 = pytest.importorskip("stable_baselines3")
    checkpoint = models_directory() / f"{algo}_multi_50" / "sb3.zip"
    reference = (sb3.PPO if algo == "ppo" else sb3.SAC).load(str(checkpoint), device="cpu")
    actor = PureRL.load(f"{algo}_multi_50").model
    rng = np.random.default_rng(3)
    for _ in range(5):
        obs = rng.normal(0.0, 2.0, size=actor.n_inputs).astype(np.float32)
        expected, _ = reference.predict(obs, deterministic=True)
        got, _ = actor.predict(obs, deterministic=True)
        np.testing.assert_allclose(got, expected, atol=2e-5)
