"""Integrity of model directories: a SHA-256 of every file, verified before anything is opened.

``metadata.json`` of a model directory lists every other file of the directory with
its SHA-256 (``"files": {"policy.npz": "<sha>", "sb3.zip": "<sha>"}``).
:func:`verify_model_files` reads the metadata with bounded size and nesting, hashes
every listed file, refuses files that are not listed, and hands the verified bytes of
the files a loader asked for to that loader, so what is parsed is exactly what was
hashed. Every writer of model directories writes the whole folder at once with
:func:`write_model_directory` (files and metadata into a new folder, renamed into place).

The hash protects a directory whose ``metadata.json`` is trusted against corrupted or
replaced files; it cannot protect against someone who rewrites the metadata too. That is
why no loader of this package unpickles anything: ``policy.npz`` is read with
``allow_pickle=False`` and the weights of an SB3 checkpoint with
``torch.load(weights_only=True)`` (:mod:`hybridinv.rl.sb3_weights`); the cloudpickle
entries of ``sb3.zip`` are never decoded. See the trust model in ``docs/rl.md``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "FILES_KEY",
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "MAX_MODEL_FILE_BYTES",
    "MAX_UNPACKED_BYTES",
    "METADATA_FILE",
    "ModelFileError",
    "MODEL_FILE_NAMES",
    "check_model_target",
    "check_unpacked_size",
    "hash_model_files",
    "read_member",
    "read_metadata",
    "verify_model_files",
    "write_file_hashes",
    "write_metadata",
    "write_model_directory",
    "write_model_file",
]

METADATA_FILE = "metadata.json"
#: The files a model writer of this package writes beside ``metadata.json``.
MODEL_FILE_NAMES = ("policy.npz", "sb3.zip")
#: Metadata key of the ``{file name: SHA-256}`` map.
FILES_KEY = "files"
#: Largest ``metadata.json`` read (the shipped ones are under 10 kB).
MAX_METADATA_BYTES = 1 << 20
#: Deepest nesting of JSON objects and arrays accepted in ``metadata.json``.
MAX_METADATA_DEPTH = 32
#: Largest file of a model directory that is read or hashed: 512 MiB, over 100 times the largest shipped
#: one (the 3.3 MB ``sb3.zip`` of ``models/sac_multi_50``).
MAX_MODEL_FILE_BYTES = 1 << 29
#: Largest total uncompressed size of the members of a zip archive (``.npz``, ``sb3.zip``) that is unpacked.
MAX_UNPACKED_BYTES = 1 << 30
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LEFTOVER = re.compile(r"\..+\.[0-9a-f]{16}\.tmp")  # write_model_file's temporary names
_CHUNK = 1 << 20
try:
    from lzma import LZMAError
except ImportError:  # a Python built without lzma (zipfile allows it): no member can be LZMA-decompressed

    class LZMAError(Exception):  # type: ignore[no-redef]
        """Stand-in: never raised."""


#: What decompressing a corrupt, encrypted or unsupported zip member raises.
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, LZMAError, EOFError, NotImplementedError, RuntimeError, OSError)
# never follow a symbolic link, and never wait for a writer on a FIFO (the file is refused after fstat)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class ModelFileError(ValueError):
    """A model file is missing, corrupted, unverifiable, or was made for other observation/action specs."""


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (iterative, so deep input cannot exhaust the stack)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_METADATA_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _check_regular(path: Path, info: os.stat_result, limit: int) -> None:
    """Refuse a symbolic link, anything but a regular file, and a file larger than ``limit`` bytes."""
    if stat.S_ISLNK(info.st_mode):
        raise ModelFileError(f"{path}: a symbolic link; the files of a model directory must be regular files "
                             "(links are not followed)")
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"{path}: not a regular file (a directory, FIFO, socket or device); it is not read")
    if info.st_size > limit:
        raise ModelFileError(f"{path}: {info.st_size} bytes, larger than {limit} bytes; it is not read")


def _open_regular(path: Path, limit: int) -> BinaryIO:
    """Open a regular file of a model directory for reading, never through a link and never blocking.

    Raises ``ModelFileError`` for a link, a special file or a file over ``limit`` bytes (checked
    before opening and again on the opened file), ``OSError`` when the file cannot be opened.
    """
    _check_regular(path, path.lstat(), limit)
    handle = os.fdopen(os.open(path, _READ_FLAGS), "rb")
    try:
        _check_regular(path, os.fstat(handle.fileno()), limit)
    except BaseException:
        handle.close()
        raise
    return handle


def _read_regular(path: Path, keep: bool) -> tuple[str, bytes]:
    """SHA-256 of a regular file of a model directory, and its bytes if ``keep`` (else ``b""``)."""
    limit = MAX_MODEL_FILE_BYTES
    digest = hashlib.sha256()
    parts: list[bytes] = []
    size = 0
    with _open_regular(path, limit) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            if size > limit:  # the file grew after it was checked
                raise ModelFileError(f"{path}: larger than {limit} bytes; it is not read")
            digest.update(chunk)
            if keep:
                parts.append(chunk)
    return digest.hexdigest(), b"".join(parts)


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """Parse ``directory/metadata.json`` with bounded size and nesting.

    Raises
    ------
    ModelFileError
        If the file is missing, a symbolic link or not a regular file, larger than
        :data:`MAX_METADATA_BYTES`, not UTF-8 JSON, nested deeper than :data:`MAX_METADATA_DEPTH`,
        or not a JSON object.
    """
    path = Path(directory) / METADATA_FILE
    if Path(directory).is_file():  # was "unreadable metadata ([Errno 20] Not a directory: 'x.csv/metadata.json')"
        raise ModelFileError(f"{Path(directory)}: a file, not a model directory")
    try:
        with _open_regular(path, MAX_METADATA_BYTES) as handle:
            raw = handle.read(MAX_METADATA_BYTES + 1)
    except FileNotFoundError:
        raise ModelFileError(f"{Path(directory)}: no {METADATA_FILE} (not a model directory)") from None
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        raise ModelFileError(f"{path}: unreadable metadata ({exc})") from exc
    if len(raw) > MAX_METADATA_BYTES:
        raise ModelFileError(f"{path}: unreadable metadata (larger than {MAX_METADATA_BYTES} bytes)")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ModelFileError(f"{path}: unreadable metadata (nested too deeply)") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, and a 5,000-digit integer (int's limit)
        raise ModelFileError(f"{path}: unreadable metadata ({exc})") from exc
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: metadata is not a JSON object")
    if _depth(meta) > MAX_METADATA_DEPTH:
        raise ModelFileError(f"{path}: unreadable metadata (nested deeper than {MAX_METADATA_DEPTH} levels)")
    return meta


def _temporary_name(name: str) -> str:
    """The name :func:`write_model_file` writes ``name``'s bytes to before they replace it."""
    return f".{name}.{secrets.token_hex(8)}.tmp"


def _model_files(directory: Path) -> list[Path]:
    """The entries of a model directory other than its metadata.

    Subdirectories are not part of a model; every other entry is, including a symbolic link
    (even to a directory) or a special file, so that it is refused rather than skipped. Two
    kinds of entry are passed over: the temporary file of a :func:`write_model_file` that
    was killed before its rename (never loaded; hashing it would list it, and leaving it
    unlisted would refuse the model) and an entry removed while the directory is listed.
    """
    out = []
    for path in directory.iterdir():
        if path.name == METADATA_FILE or _LEFTOVER.fullmatch(path.name):
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(mode):
            out.append(path)
    return sorted(out)


def hash_model_files(directory: str | Path) -> dict[str, str]:
    """``{file name: SHA-256}`` of every file of ``directory`` except ``metadata.json``.

    Raises
    ------
    ModelFileError
        If an entry is a symbolic link or special file, or larger than :data:`MAX_MODEL_FILE_BYTES`.
    """
    return {path.name: _read_regular(path, keep=False)[0] for path in _model_files(Path(directory))}


def _default(value: Any) -> Any:
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def write_model_file(directory: str | Path, name: str, payload: bytes) -> Path:
    """Write ``payload`` as the file ``name`` of a model directory, never through a link planted there.

    The bytes go to a new temporary file of the directory, flushed to disk, which then
    replaces ``name`` (``os.replace`` swaps the directory entry, so a link or hard link that
    appears there meanwhile is replaced, its target never written). A replaced file keeps
    its permission bits; a new one gets the umask's.

    Raises
    ------
    ModelFileError
        If ``name`` exists and is a symbolic link or not a regular file.
    """
    path = Path(directory) / name
    mode: int | None = None
    try:
        info = path.lstat()
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(info.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
            raise ModelFileError(f"{path}: {kind} is in the way; a model file is not written over it (remove it)")
        mode = stat.S_IMODE(info.st_mode)
    temporary = path.with_name(_temporary_name(name))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)  # a replaced file keeps its permissions
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())  # the bytes are on disk before the name points at them
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def write_metadata(directory: str | Path, metadata: Mapping[str, Any]) -> Path:
    """Write ``metadata`` with the SHA-256 of every file now in ``directory`` as ``metadata.json``.

    Every writer of model directories calls this after writing its other files, so
    new models always carry the hashes :func:`verify_model_files` checks. If
    ``metadata`` names a ``weights_file``, its ``weights_sha256`` is refreshed too.

    Raises
    ------
    ModelFileError
        If an entry of ``directory`` is a symbolic link or special file (it is neither
        hashed nor followed), or ``metadata.json`` is one (it is not written through).
    """
    directory = Path(directory)
    files = hash_model_files(directory)
    meta = {key: value for key, value in metadata.items() if key != FILES_KEY}
    meta[FILES_KEY] = files
    weights = meta.get("weights_file")
    if isinstance(weights, str) and weights in files:
        meta["weights_sha256"] = files[weights]
    text = json.dumps(meta, indent=2, sort_keys=True, default=_default) + "\n"
    return write_model_file(directory, METADATA_FILE, text.encode("utf-8"))


def _foreign_entries(directory: Path, written: Iterable[str]) -> list[str]:
    """Entries of an existing folder that a model written there would drop: not a model file, a link or special file."""
    allowed = set(MODEL_FILE_NAMES) | set(written) | {METADATA_FILE}
    out = []
    for path in sorted(directory.iterdir()):
        if _LEFTOVER.fullmatch(path.name):
            continue
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if path.name not in allowed or not stat.S_ISREG(mode):
            kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
                    else "not a model file" if stat.S_ISREG(mode) else "not a regular file")
            out.append(f"{path}: {kind}")
    return out


def check_model_target(directory: str | Path, written: Iterable[str] = ()) -> Path:
    """Check, creating nothing, that a model can be written as the folder ``directory``; return its real path.

    The folder may be new, empty, or hold an earlier model (``metadata.json`` and model files:
    :data:`MODEL_FILE_NAMES` and the names in ``written``), which the new model replaces as a
    whole. Its parent folder must exist or be creatable (the model is written beside it and
    then renamed into place).

    Raises
    ------
    ModelFileError
        If ``directory`` is a file, or holds anything else (a folder, another file, a symbolic
        link, a special file): it is named, and nothing of it is overwritten or removed.
    """
    real = Path(os.path.realpath(directory))
    if real.exists() and not real.is_dir():
        raise ModelFileError(f"{directory}: not a folder; a model is a folder of files")
    if real.is_dir():
        foreign = _foreign_entries(real, written)
        if foreign:
            raise ModelFileError(
                f"{foreign[0]} is in the way: a model is written into a new or empty folder or over an earlier "
                "model, which it replaces as a whole (move the entry away or choose another folder)"
            )
    return real


def write_model_directory(directory: str | Path, files: Mapping[str, bytes], metadata: Mapping[str, Any]) -> Path:
    """Write a whole model folder: ``files`` (name → bytes) and ``metadata.json`` with their SHA-256.

    The files and the metadata are written into a new hidden folder beside ``directory``
    (``.<name>.<random>.writing``), flushed to disk, and the folder is then renamed to
    ``directory``; an earlier model there is renamed away first (``.<name>.<random>.replaced``)
    and removed after. So the folder holds the new model or the earlier one, never a mix:
    a crash while writing leaves the earlier model loadable (and a ``.writing`` folder
    beside it), and no file of an earlier model is left beside the new one (an old
    ``sb3.zip`` beside a new ES ``policy.npz`` was hashed into the new metadata until
    2026-12-06). A crash between the two renames leaves the earlier model in its
    ``.replaced`` folder. The folder keeps its permission bits, and each file those of the
    file it replaces. ``directory`` may be a symbolic link to a folder: the folder it
    points to is replaced.

    Raises
    ------
    ModelFileError
        From :func:`check_model_target`, if ``directory`` holds anything but an earlier model.
    """
    real = check_model_target(directory, files)
    for name in files:
        if not _is_plain_file_name(name):
            raise ModelFileError(f"{directory}: {name!r} is not a file name of a model folder")
    real.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(8)
    stage = real.with_name(f".{real.name}.{token}.writing")
    stage.mkdir()
    try:
        old = real if real.is_dir() else None
        if old is not None:
            os.chmod(stage, stat.S_IMODE(old.stat().st_mode))
        for name, payload in files.items():
            path = write_model_file(stage, name, payload)
            previous = real / name
            if old is not None and previous.is_file() and not previous.is_symlink():
                os.chmod(path, stat.S_IMODE(previous.stat().st_mode))
        write_metadata(stage, metadata)
        _sync_directory(stage)
        if old is None:
            os.rename(stage, real)  # an empty folder made meanwhile is replaced; a non-empty one fails
        else:
            replaced = real.with_name(f".{real.name}.{token}.replaced")
            os.rename(real, replaced)
            try:
                os.rename(stage, real)
            except BaseException:
                os.rename(replaced, real)
                raise
            shutil.rmtree(replaced, ignore_errors=True)
        _sync_directory(real.parent)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return real


def _sync_directory(directory: Path) -> None:
    """Flush a folder's entries to disk where the platform allows opening a folder."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_file_hashes(directory: str | Path) -> Path:
    """Re-hash an existing model directory: record the SHA-256 of every file it now holds.

    Use it only for a directory you trust (your own, or one whose files you checked):
    it makes :func:`verify_model_files` accept whatever the directory contains.
    """
    return write_metadata(directory, read_metadata(directory))


def _is_plain_file_name(name: str) -> bool:
    """Whether ``name`` names a file directly inside a model directory (no separator, ``..`` or absolute path)."""
    # a NUL was a bare "embedded null byte" ValueError from the file system, a traceback in the CLI
    return bool(name) and "\x00" not in name and Path(name).name == name and name not in (".", "..", METADATA_FILE)


def _listed(meta: Mapping[str, Any], meta_path: Path) -> dict[str, str]:
    files = meta[FILES_KEY]
    if not isinstance(files, dict) or not files:
        raise ModelFileError(f"{meta_path}: '{FILES_KEY}' must map file names to SHA-256 hashes")
    for name, digest in files.items():
        if not _is_plain_file_name(name):
            raise ModelFileError(f"{meta_path}: '{FILES_KEY}' lists {name!r}, not a file name of the directory")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ModelFileError(f"{meta_path}: '{FILES_KEY}' gives {name!r} no valid SHA-256")
    return files


def _mismatch(path: Path, digest: str, expected: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: SHA-256 {digest[:12]}… does not match the metadata ({expected[:12]}…): "
        "the file is corrupted or was replaced"
    )


def verify_model_files(
    directory: str | Path, meta: Mapping[str, Any], load: Iterable[str] = ()
) -> dict[str, bytes]:
    """Check every file of a model directory against its metadata; return the verified bytes of ``load``.

    Every file read must be a regular file (not a symbolic link, FIFO or device) of at most
    :data:`MAX_MODEL_FILE_BYTES`. With a ``files`` map (every current writer records one):
    each listed file must exist and match its SHA-256, and every file of the directory must be listed. Without it (a
    model written before the map existed), only a ``.npz`` weights file can be loaded: it
    must be a plain file name of the directory (no ``/``, ``..`` or absolute path) and match
    the legacy ``weights_sha256``; any other file (an ``sb3.zip``, pickled content) is refused.

    Raises
    ------
    ModelFileError
        On a missing, unlisted or mismatching file, or a request the metadata cannot vouch for.
    """
    directory = Path(directory)
    meta_path = directory / METADATA_FILE
    wanted = list(dict.fromkeys(load))
    if FILES_KEY not in meta:
        return _verify_legacy(directory, meta, wanted)
    files = _listed(meta, meta_path)
    unknown = [name for name in wanted if name not in files]
    if unknown:
        raise ModelFileError(f"{meta_path}: {unknown[0]!r} is not listed in '{FILES_KEY}'; it is not loaded")
    present = {path.name for path in _model_files(directory)}
    unlisted = sorted(present - set(files))
    if unlisted:
        raise ModelFileError(
            f"{directory / unlisted[0]}: file not listed in the metadata's '{FILES_KEY}' hashes "
            "(remove it, or re-hash a directory you trust with hybridinv.rl.write_file_hashes)"
        )
    weights = meta.get("weights_file")
    if weights is not None and not isinstance(weights, str):  # a list was "unhashable type" (a bare TypeError)
        raise ModelFileError(f"{meta_path}: 'weights_file' must be a file name, got {type(weights).__name__}")
    if weights in files and meta.get("weights_sha256") not in (None, files[weights]):
        raise ModelFileError(f"{meta_path}: 'weights_sha256' disagrees with '{FILES_KEY}'")
    loaded: dict[str, bytes] = {}
    for name, expected in sorted(files.items()):
        path = directory / name
        try:
            digest, payload = _read_regular(path, keep=name in wanted)
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read a file listed in the metadata ({exc})") from exc
        if digest != expected:
            raise _mismatch(path, digest, expected)
        if name in wanted:
            loaded[name] = payload
    return loaded


def _verify_legacy(directory: Path, meta: Mapping[str, Any], wanted: list[str]) -> dict[str, bytes]:
    weights = str(meta.get("weights_file", ""))
    if weights in wanted and not _is_plain_file_name(weights):
        raise ModelFileError(
            f"{directory / METADATA_FILE}: 'weights_file' {weights!r} is not a file name of the directory; "
            "it is not loaded"
        )
    refused = [name for name in wanted if name != weights or not name.endswith(".npz")]
    if refused:
        raise ModelFileError(
            f"{directory / METADATA_FILE}: no '{FILES_KEY}' hashes, so {refused[0]!r} cannot be verified and is "
            "not loaded (pickled content is only read from fully hashed directories; re-hash a directory you "
            "trust with hybridinv.rl.write_file_hashes)"
        )
    loaded: dict[str, bytes] = {}
    for name in wanted:
        path = directory / name
        try:
            digest, payload = _read_regular(path, keep=True)
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read the weights ({exc})") from exc
        expected = str(meta.get("weights_sha256"))
        if digest != expected:
            raise _mismatch(path, digest, expected)
        loaded[name] = payload
    return loaded


def check_unpacked_size(payload: bytes, source: Path) -> zipfile.ZipFile:
    """Open a zip archive (``.npz``, ``sb3.zip``) from verified bytes, refusing oversized members."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as exc:
        raise ModelFileError(f"{source}: not a valid archive ({exc})") from exc
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNPACKED_BYTES:
        raise ModelFileError(f"{source}: unpacks to {total} bytes, more than {MAX_UNPACKED_BYTES}")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, source: Path) -> bytes:
    """The bytes of the member ``name`` of an archive from :func:`check_unpacked_size`, never more than declared.

    Decompressed in chunks of 1 MiB, so a member whose real size exceeds the size its
    header declares (the one :func:`check_unpacked_size` bounds) is stopped after the
    declared bytes, its checksum fails and it is refused; ``ZipFile.read`` would first
    inflate up to 2 GiB of it in one piece.

    Raises
    ------
    KeyError
        If the archive has no member ``name``.
    ModelFileError
        If the member is corrupt (checksum, compressed stream), encrypted or compressed
        with an unsupported method.
    """
    info = archive.getinfo(name)
    parts: list[bytes] = []
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                parts.append(chunk)
    except _MEMBER_ERRORS as exc:
        raise ModelFileError(f"{source}: archive member {name!r} is unreadable ({exc})") from exc
    return b"".join(parts)
