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


def test_a_checkpoint_member_larger_than_it_declares_is_refused_as_a_model_file_error(tmp_path: Path) -> None:
    """ZipFile.read inflated up to 2 GiB of such a member before failing its CRC with a bare BadZipFile."""
    import struct

    directory = _copy("ppo_multi_50", tmp_path)
    checkpoint = directory / "sb3.zip"
    _rewrite_entry(checkpoint, "data", lambda data: data + b" " * 100_000)
    payload = bytearray(checkpoint.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(payload))) as archive:
        local = archive.getinfo("data").header_offset
        central = archive.start_dir  # type: ignore[attr-defined]
    while payload[central + 46:central + 46 + struct.unpack_from("<H", payload, central + 28)[0]] != b"data":
        central += 46 + sum(struct.unpack_from("<3H", payload, central + 28))  # name, extra, comment lengths
    struct.pack_into("<I", payload, local + 22, 10)  # local header: uncompressed size
    struct.pack_into("<I", payload, central + 24, 10)  # central directory: uncompressed size
    with zipfile.ZipFile(io.BytesIO(bytes(payload))) as archive:
        assert archive.getinfo("data").file_size == 10
    checkpoint.write_bytes(payload)
    _rehash(directory)
    with pytest.raises(ModelFileError, match="'data' is unreadable"):
        PureRL.load(directory)


def test_the_records_of_policy_pth_count_against_the_unpacked_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """policy.pth is itself a zip whose (deflated) records torch allocates at their declared size.

    A 900 kB sb3.zip made the loader allocate 3.3 GB; here the limit is lowered instead.
    """
    import torch

    from hybridinv.rl import integrity

    directory = _copy("ppo_multi_50", tmp_path)

    def padded(data: bytes) -> bytes:
        state = torch.load(io.BytesIO(data), weights_only=True)
        state["padding"] = torch.zeros(1_000_000)  # 4 MB of zeros, a few kB deflated
        saved = io.BytesIO()
        torch.save(state, saved)
        with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source:
            records = [(info.filename, source.read(info.filename)) for info in source.infolist()]
        deflated = io.BytesIO()
        with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as out:
            for name, record in records:
                out.writestr(name, record)
        return deflated.getvalue()

    _rewrite_entry(directory / "sb3.zip", "policy.pth", padded)
    _rehash(directory)
    with zipfile.ZipFile(directory / "sb3.zip") as archive:
        outer = sum(info.file_size for info in archive.infolist())
    assert outer < 3_000_000
    monkeypatch.setattr(integrity, "MAX_UNPACKED_BYTES", 3_000_000)
    with pytest.raises(ModelFileError, match=r"policy.pth: unpacks to \d+ bytes"):
        PureRL.load(directory)


def test_policy_pth_in_the_legacy_torch_format_is_refused(tmp_path: Path) -> None:
    import torch

    directory = _copy("ppo_multi_50", tmp_path)

    def legacy(data: bytes) -> bytes:
        saved = io.BytesIO()
        torch.save(torch.load(io.BytesIO(data), weights_only=True), saved, _use_new_zipfile_serialization=False)
        return saved.getvalue()

    _rewrite_entry(directory / "sb3.zip", "policy.pth", legacy)
    _rehash(directory)
    with pytest.raises(ModelFileError, match="not a torch zip archive"):
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


def _big_scenario(n_skus: int) -> object:
    from hybridinv.scenarios import _catalog, _seasonal_demand, _tight_constraints, _with_process_std
    from hybridinv.sim.scenario import Scenario

    rng = np.random.default_rng(1000)
    catalog = _catalog(n_skus, rng, lead_times=(1, 4))
    demand = _seasonal_demand(catalog, rng)
    return Scenario(name=f"big_{n_skus}", catalog=_with_process_std(catalog, demand),
                    constraints=_tight_constraints(catalog, 0.6, 1.1), demand=demand, periods=12, warmup=2)


def test_a_pure_checkpoint_above_1000_skus_loads_and_a_mismatched_one_is_refused(tmp_path: Path) -> None:
    """SB3 saves the action bounds as numpy prints them, abbreviated above 1,000 values ('[-1. -1. -1. ... -1.]'):
    every pure-RL checkpoint above 1,000 SKUs was refused ('could not convert string to float'), so even train()
    failed at its end, loading what it had written."""
    sb3 = pytest.importorskip("stable_baselines3")
    from hybridinv.rl.training import Algorithm, TrainConfig, train

    n = 1001
    config = TrainConfig(scenario=f"big_{n}", algo=Algorithm.PPO, timesteps=8, n_steps=8, batch_size=8, n_epochs=1,
                         eval_every=0, eval_seeds=(1,), eval_periods=4, hidden=8)
    directory = tmp_path / "big"
    result = train(config, directory, scenario=_big_scenario(n), progress=False)  # type: ignore[arg-type]
    actor = result.policy.model
    assert actor.low.shape == actor.high.shape == (n,)
    # independent truth: SB3's own load and predict (of a checkpoint this test wrote)
    reference = sb3.PPO.load(str(directory / "sb3.zip"), device="cpu")
    rng = np.random.default_rng(5)
    for _ in range(3):
        obs = rng.normal(0.0, 3.0, size=actor.n_inputs).astype(np.float32)
        np.testing.assert_allclose(actor.predict(obs)[0], reference.predict(obs, deterministic=True)[0], atol=2e-5)

    def with_action_space(**fields: object) -> Path:
        copy = tmp_path / f"copy_{len(list(tmp_path.iterdir()))}"
        shutil.copytree(directory, copy)

        def change(data: bytes) -> bytes:
            saved = json.loads(data)
            saved["action_space"].update(fields)
            return json.dumps(saved).encode()

        _rewrite_entry(copy / "sb3.zip", "data", change)
        _rehash(copy)
        return copy

    with pytest.raises(ModelFileError, match="not OrderEnv's"):  # bounds other than OrderEnv's cannot be read
        PureRL.load(with_action_space(low="[-2. -2. -2. ... -2. -2. -2.]"))
    with pytest.raises(ModelFileError, match="output layer disagree"):  # a shape other than the actor's
        PureRL.load(with_action_space(_shape=[n + 1]))
    with pytest.raises(ModelFileError, match="shape"):  # abbreviated bounds need the saved shape
        PureRL.load(with_action_space(_shape=None))
    with pytest.raises(ModelFileError, match="disagree with its action shape"):
        PureRL.load(with_action_space(low="[-1. -1.]", high="[1. 1.]"))


@pytest.mark.parametrize("key", ["sku_features", "global_features"])
def test_a_checkpoint_for_other_features_is_refused(tmp_path: Path, key: str) -> None:
    """PureRL.load compared only the observation version: features renamed or reordered loaded and fed the actor
    the wrong inputs."""
    directory = _copy("ppo_multi_10", tmp_path)
    meta = json.loads((directory / "metadata.json").read_text())
    meta["observation_spec"][key] = meta["observation_spec"][key][::-1]
    (directory / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="features differ from the installed ones"):
        PureRL.load(directory)


@pytest.mark.parametrize("change", ["huge_shape", "long_integer"])
def test_a_rehashed_checkpoint_with_absurd_data_is_a_model_file_error(tmp_path: Path, change: str) -> None:
    """Abbreviated bounds with a _shape of 2**45 were allocated before any check (a MemoryError asking for 128 TiB);
    a 5,000-digit integer in the data entry was a bare ValueError (a traceback in the CLI)."""
    directory = _copy("ppo_multi_10", tmp_path)

    def edit(data: bytes) -> bytes:
        if change == "long_integer":
            return data.replace(b"{", b'{"huge": ' + b"9" * 5000 + b", ", 1)
        saved = json.loads(data)
        saved["action_space"].update(low="[-1. -1. -1. ... -1. -1. -1.]", high="[1. 1. 1. ... 1. 1. 1.]",
                                     _shape=[2**45])
        return json.dumps(saved).encode()

    _rewrite_entry(directory / "sb3.zip", "data", edit)
    _rehash(directory)
    with pytest.raises(ModelFileError, match="output layer disagree" if change == "huge_shape" else "unreadable"):
        PureRL.load(directory)
