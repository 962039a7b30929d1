"""Model-directory integrity (hybridinv/rl/integrity.py): every file hashed, verified before anything is parsed."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from hybridinv.envs import GLOBAL_FEATURES, SKU_FEATURES
from hybridinv.rl import Hybrid, integrity, models_directory
from hybridinv.rl.integrity import (
    MAX_METADATA_BYTES,
    ModelFileError,
    hash_model_files,
    read_metadata,
    verify_model_files,
    write_file_hashes,
    write_model_directory,
    write_model_file,
)
from hybridinv.rl.model_file import load_model, save_model
from hybridinv.rl.numpy_policy import SharedPolicyNetwork


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _meta(directory: Path) -> dict:
    return json.loads((directory / "metadata.json").read_text())


def _write_meta(directory: Path, meta: dict) -> None:
    (directory / "metadata.json").write_text(json.dumps(meta))


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=4, seed=1)
    return save_model(tmp_path / "m", net, {"seed": 1}, extra_files={"sb3.zip": b"a checkpoint beside the weights"})


def test_save_model_records_the_hash_of_every_file(model_dir: Path) -> None:
    meta = _meta(model_dir)
    assert meta["files"] == {
        "policy.npz": _sha(model_dir / "policy.npz"),
        "sb3.zip": _sha(model_dir / "sb3.zip"),
    }
    assert meta["weights_sha256"] == meta["files"]["policy.npz"]
    assert load_model(model_dir).network is not None


def test_a_tampered_file_that_is_not_loaded_still_fails(model_dir: Path) -> None:
    (model_dir / "sb3.zip").write_bytes(b"something else")
    with pytest.raises(ModelFileError, match="sb3.zip: SHA-256 .* does not match"):
        load_model(model_dir)


def test_a_tampered_npz_fails_before_it_is_parsed(model_dir: Path) -> None:
    path = model_dir / "policy.npz"
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="policy.npz: SHA-256"):
        load_model(model_dir)


def test_a_file_without_a_hash_is_refused(model_dir: Path) -> None:
    meta = _meta(model_dir)
    del meta["files"]["sb3.zip"]
    _write_meta(model_dir, meta)
    with pytest.raises(ModelFileError, match="sb3.zip: file not listed"):
        load_model(model_dir)
    meta["files"] = {"sb3.zip": _sha(model_dir / "sb3.zip")}
    _write_meta(model_dir, meta)
    with pytest.raises(ModelFileError, match="'policy.npz' is not listed"):
        load_model(model_dir)


def test_an_extra_file_is_refused(model_dir: Path) -> None:
    (model_dir / "extra.pkl").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ModelFileError, match="extra.pkl: file not listed"):
        load_model(model_dir)
    write_file_hashes(model_dir)  # the owner vouches for the directory
    assert "extra.pkl" in _meta(model_dir)["files"]
    assert load_model(model_dir).network is not None


@pytest.mark.parametrize("name", ["../policy.npz", "metadata.json", "sub/x", "", "x\x00y"])  # NUL: a bare ValueError
def test_listed_names_must_be_files_of_the_directory(model_dir: Path, name: str) -> None:
    meta = _meta(model_dir)
    meta["files"][name] = "0" * 64
    _write_meta(model_dir, meta)
    with pytest.raises(ModelFileError, match="not a file name"):
        load_model(model_dir)


def test_a_malformed_hash_is_refused(model_dir: Path) -> None:
    meta = _meta(model_dir)
    meta["files"]["sb3.zip"] = "not-a-hash"
    _write_meta(model_dir, meta)
    with pytest.raises(ModelFileError, match="no valid SHA-256"):
        load_model(model_dir)


@pytest.mark.parametrize("depth", [100, 200_000])
def test_nested_metadata_is_a_model_file_error(tmp_path: Path, depth: int) -> None:
    (tmp_path / "metadata.json").write_text('{"a": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(ModelFileError, match="nested"):
        load_model(tmp_path)


def test_huge_metadata_is_refused_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "metadata.json").write_text('{"pad": "' + "x" * (3 * MAX_METADATA_BYTES) + '"}')
    with pytest.raises(ModelFileError, match="larger than"):
        read_metadata(tmp_path)


def test_pickled_arrays_in_an_npz_are_never_loaded(tmp_path: Path) -> None:
    marker = tmp_path / "marker"

    class WritesMarker:
        def __reduce__(self) -> tuple[object, tuple[str, str]]:
            return (open, (str(marker), "w"))

    directory = tmp_path / "m"
    directory.mkdir()
    evil = np.empty(1, dtype=object)
    evil[0] = WritesMarker()
    np.savez(directory / "policy.npz", weights=evil)
    (directory / "metadata.json").write_text("{}")
    meta = read_metadata(directory)
    meta.update(format_version=1, policy="adaptive", weights_file="policy.npz")
    _write_meta(directory, meta)
    write_file_hashes(directory)
    with pytest.raises(ModelFileError, match="invalid weights"):
        load_model(directory, check_spec=False)
    assert not marker.exists()


def _npz_of_raw_members(path: Path, members: dict[str, bytes]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _npy_header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


@pytest.mark.parametrize("shape", [(10**13,), (10**6, 10**6)])
def test_an_npz_member_declaring_more_data_than_it_holds_is_refused_before_allocating(
    tmp_path: Path, shape: tuple[int, ...]
) -> None:
    """numpy.load allocates the header's shape first: (10**13,) float64 was a MemoryError for 73 TiB."""
    directory = tmp_path / "m"
    directory.mkdir()
    _npz_of_raw_members(directory / "policy.npz", {"weights.npy": _npy_header(shape) + bytes(16)})
    _write_meta(directory, {"format_version": 1, "policy": "adaptive", "weights_file": "policy.npz"})
    write_file_hashes(directory)
    with pytest.raises(ModelFileError, match=r"invalid weights .*declares"):
        load_model(directory, check_spec=False)


def test_an_npz_member_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "m"
    directory.mkdir()
    _npz_of_raw_members(directory / "policy.npz", {"weights.npy": np.zeros(3).tobytes(), "notes.txt": b"hello"})
    _write_meta(directory, {"format_version": 1, "policy": "adaptive", "weights_file": "policy.npz"})
    write_file_hashes(directory)
    with pytest.raises(ModelFileError, match="invalid weights"):
        load_model(directory, check_spec=False)


def test_legacy_metadata_loads_only_a_hash_checked_npz(model_dir: Path) -> None:
    """Without a 'files' map (models written before it): the .npz may load if its legacy hash matches."""
    (model_dir / "sb3.zip").unlink()
    meta = _meta(model_dir)
    del meta["files"]
    _write_meta(model_dir, meta)
    assert load_model(model_dir).network is not None
    with pytest.raises(ModelFileError, match="no 'files' hashes"):
        verify_model_files(model_dir, meta, load=["sb3.zip"])
    weights = model_dir / "policy.npz"
    weights.write_bytes(weights.read_bytes()[:-2] + b"zz")
    with pytest.raises(ModelFileError, match="SHA-256"):
        load_model(model_dir)


@pytest.mark.parametrize("outside", ["relative", "absolute"])
def test_legacy_weights_file_must_be_a_file_of_the_directory(tmp_path: Path, model_dir: Path, outside: str) -> None:
    """A legacy 'weights_file' naming a file outside the directory is refused, even when its hash matches."""
    (model_dir / "sb3.zip").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stolen = elsewhere / "stolen.npz"
    (model_dir / "policy.npz").rename(stolen)
    meta = _meta(model_dir)
    del meta["files"]
    meta["weights_file"] = "../elsewhere/stolen.npz" if outside == "relative" else str(stolen)
    meta["weights_sha256"] = _sha(stolen)
    _write_meta(model_dir, meta)
    with pytest.raises(ModelFileError, match="'weights_file' .* not a file name of the directory"):
        load_model(model_dir)
    with pytest.raises(ModelFileError, match="not a file name of the directory"):
        Hybrid.load(model_dir)


def test_a_listed_symlink_is_refused_even_when_its_target_matches(tmp_path: Path, model_dir: Path) -> None:
    """A listed file that is a link to a file outside the directory is not followed (the hash would match)."""
    outside = tmp_path / "outside.npz"
    (model_dir / "policy.npz").rename(outside)
    os.symlink(outside, model_dir / "policy.npz")
    with pytest.raises(ModelFileError, match="policy.npz: a symbolic link"):
        load_model(model_dir)
    meta = _meta(model_dir)  # the same link in a legacy directory
    del meta["files"]
    (model_dir / "sb3.zip").unlink()
    _write_meta(model_dir, meta)
    with pytest.raises(ModelFileError, match="policy.npz: a symbolic link"):
        load_model(model_dir)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_an_endless_device_is_refused_before_reading(model_dir: Path) -> None:
    (model_dir / "sb3.zip").unlink()
    os.symlink("/dev/zero", model_dir / "sb3.zip")  # read_bytes() of it would grow without bound
    with pytest.raises(ModelFileError, match="sb3.zip: a symbolic link"):
        load_model(model_dir)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("name", ["policy.npz", "metadata.json"])
def test_a_fifo_is_refused_without_blocking(model_dir: Path, name: str) -> None:
    (model_dir / name).unlink()
    os.mkfifo(model_dir / name)  # opening it for reading would wait for a writer
    with pytest.raises(ModelFileError, match=f"{name}: not a regular file"):
        load_model(model_dir)


def test_a_symlinked_metadata_file_is_refused(tmp_path: Path, model_dir: Path) -> None:
    outside = tmp_path / "metadata_elsewhere.json"
    (model_dir / "metadata.json").rename(outside)
    os.symlink(outside, model_dir / "metadata.json")
    with pytest.raises(ModelFileError, match="metadata.json: a symbolic link"):
        load_model(model_dir)


def test_an_unlisted_dangling_symlink_is_refused(model_dir: Path) -> None:
    os.symlink(model_dir / "nowhere", model_dir / "extra")
    with pytest.raises(ModelFileError, match="extra: file not listed"):
        load_model(model_dir)
    with pytest.raises(ModelFileError, match="extra: a symbolic link"):
        hash_model_files(model_dir)


def test_an_oversized_model_file_is_refused(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_model(model_dir).network is not None
    size = (model_dir / "policy.npz").stat().st_size
    monkeypatch.setattr(integrity, "MAX_MODEL_FILE_BYTES", size - 1)
    with pytest.raises(ModelFileError, match=f"policy.npz: {size} bytes, larger than {size - 1} bytes"):
        load_model(model_dir)


def test_the_size_limit_leaves_room_for_every_shipped_model() -> None:
    largest = max(p.stat().st_size for p in models_directory().rglob("*") if p.is_file())
    assert 100 * largest <= integrity.MAX_MODEL_FILE_BYTES


@pytest.mark.parametrize("name", ["policy.npz", "metadata.json", "sb3.zip"])
def test_saving_never_writes_through_a_planted_symlink(tmp_path: Path, name: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("important user data\n")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / name)
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=4, seed=1)
    with pytest.raises(ModelFileError, match=f"{name}: a symbolic link"):
        save_model(out, net, {"seed": 1})
    assert victim.read_text() == "important user data\n"


def test_saving_replaces_a_planted_hard_link_instead_of_writing_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("important user data\n")
    out = tmp_path / "out"
    out.mkdir()
    os.link(victim, out / "policy.npz")
    net = SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=4, seed=1)
    save_model(out, net, {"seed": 1})
    assert victim.read_text() == "important user data\n"
    assert load_model(out).network is not None


def test_write_model_file_replaces_a_regular_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    (tmp_path / "sb3.zip").write_bytes(b"old")
    write_model_file(tmp_path, "sb3.zip", b"new")
    assert (tmp_path / "sb3.zip").read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["sb3.zip"]
    (tmp_path / "sub").mkdir()
    with pytest.raises(ModelFileError, match="sub: not a regular file"):
        write_model_file(tmp_path, "sub", b"x")


def test_every_shipped_model_lists_and_matches_all_its_files() -> None:
    shipped = sorted(models_directory().rglob("metadata.json"))
    assert len(shipped) >= 20
    for meta_path in shipped:
        directory = meta_path.parent
        meta = read_metadata(directory)
        assert meta["files"] == {p.name: _sha(p) for p in directory.iterdir() if p.name != "metadata.json"}
        assert meta["files"] == hash_model_files(directory)
        verify_model_files(directory, meta)


def test_shipped_hybrids_still_load() -> None:
    assert Hybrid.load("hybrid_ppo_multi_50").name == "hybrid"


def test_the_temporary_of_a_killed_write_is_neither_hashed_nor_refused(model_dir: Path) -> None:
    leftover = model_dir / ".policy.npz.0123456789abcdef.tmp"  # what a write killed before its rename leaves
    leftover.write_bytes(b"half a file")
    assert ".policy.npz.0123456789abcdef.tmp" not in hash_model_files(model_dir)
    assert load_model(model_dir).network is not None  # not an unlisted file
    write_file_hashes(model_dir)
    assert set(_meta(model_dir)["files"]) == {"policy.npz", "sb3.zip"}
    (model_dir / ".policy.npz.tmp").write_bytes(b"not a name the writer uses")
    with pytest.raises(ModelFileError, match="not listed"):
        load_model(model_dir)


def test_a_replaced_model_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sb3.zip"
    target.write_bytes(b"old")
    target.chmod(0o600)
    write_model_file(tmp_path, "sb3.zip", b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600


def test_unusual_paths_and_metadata_values_are_model_errors_not_bare_exceptions(tmp_path: Path) -> None:
    """The finding: a NUL byte in the path was a bare ValueError, a 5,000-character path a bare OSError, a
    5,000-digit integer in metadata.json int's digit-limit ValueError, and a list as weights_file a TypeError."""
    import shutil

    from hybridinv import PlanningError
    from hybridinv.rl import ModelFileError
    from hybridinv.rl.pure import PureRL

    for path in ("hybrid_default\x00x", "x" * 5000):
        with pytest.raises(PlanningError, match="model") as err:
            Hybrid.load(path)
        assert err.value.column == "model"
    digits = tmp_path / "digits"
    shutil.copytree(models_directory() / "hybrid_default", digits)
    text = (digits / "metadata.json").read_text()
    (digits / "metadata.json").write_text(text.rstrip().rstrip("}") + ', "extra": ' + "9" * 5000 + "}")
    with pytest.raises(ModelFileError, match="unreadable metadata"):
        Hybrid.load(digits)
    listed = tmp_path / "listed"
    shutil.copytree(models_directory() / "ppo_multi_10", listed)
    meta = json.loads((listed / "metadata.json").read_text())
    meta["weights_file"] = ["sb3.zip"]
    (listed / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="'weights_file' must be a file name, got list"):
        PureRL.load(listed)


def _net() -> SharedPolicyNetwork:
    return SharedPolicyNetwork.random(len(SKU_FEATURES), len(GLOBAL_FEATURES), hidden=4, seed=1)


def test_a_model_written_over_an_earlier_one_drops_its_other_files(model_dir: Path) -> None:
    """The finding: an ES model saved where a PPO hybrid was kept the old sb3.zip and hashed it into its metadata."""
    assert (model_dir / "sb3.zip").exists()
    save_model(model_dir, {"level": np.ones(3)}, {"policy": "linear"})
    assert sorted(p.name for p in model_dir.iterdir()) == ["metadata.json", "policy.npz"]
    assert set(_meta(model_dir)["files"]) == {"policy.npz"}
    assert not [p for p in model_dir.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_a_folder_holding_anything_but_a_model_is_refused_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    (out / "policy.npz").write_bytes(b"old")
    with pytest.raises(ModelFileError, match="notes.txt: not a model file is in the way"):
        save_model(out, _net(), {"seed": 1})
    (out / "notes.txt").unlink()
    (out / "runs").mkdir()
    with pytest.raises(ModelFileError, match="runs: a folder is in the way"):
        save_model(out, _net(), {"seed": 1})
    assert (out / "policy.npz").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (out / "runs").rmdir()
    save_model(out, _net(), {"seed": 1})  # an earlier model's files (here a bare policy.npz) are replaced
    assert load_model(out).network is not None


def test_a_write_that_fails_midway_leaves_the_earlier_model_loadable(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: a crash between the weights and metadata.json left a folder whose hashes did not match."""
    before = {p.name: p.read_bytes() for p in model_dir.iterdir()}

    def crash(directory: Path, metadata: dict) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(integrity, "write_metadata", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model(model_dir, _net(), {"seed": 2})
    assert {p.name: p.read_bytes() for p in model_dir.iterdir()} == before
    assert load_model(model_dir).metadata["seed"] == 1
    assert sorted(p.name for p in model_dir.parent.iterdir()) == ["m"]


def test_a_replaced_model_folder_keeps_its_permissions_and_a_link_to_it_stays(tmp_path: Path) -> None:
    real = tmp_path / "real"
    save_model(real, _net(), {"seed": 1})
    real.chmod(0o750)
    (real / "policy.npz").chmod(0o600)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_model_directory(link, {"policy.npz": (real / "policy.npz").read_bytes(), "sb3.zip": b"x"}, {"seed": 3})
    assert link.is_symlink() and real.stat().st_mode & 0o777 == 0o750
    assert (real / "policy.npz").stat().st_mode & 0o777 == 0o600
    assert read_metadata(link)["seed"] == 3 and set(read_metadata(real)["files"]) == {"policy.npz", "sb3.zip"}
    with pytest.raises(ModelFileError, match="not a file name"):
        write_model_directory(tmp_path / "n", {"../x": b""}, {})
    assert not (tmp_path / "n").exists()
