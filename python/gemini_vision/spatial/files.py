"""File names made from model labels, and writing a result to a folder (SPEC S6, R4).

A label is text the model chose: it can hold ``/``, ``..``, a drive letter,
control or bidirectional characters, a Windows device name (``CON``, ``NUL``,
``COM1``) or a thousand characters. ``safe_name`` turns any label into one path
component that stays inside the output folder on Linux, macOS and Windows:

- Unicode letters, digits, ``-`` and ``_`` are kept (NFC-normalized); every
  other run of characters becomes one ``_``;
- dots are not kept at all, so ``..`` and hidden files cannot appear;
- Windows device names (with or without an extension) get a leading ``_``;
- the result is at most ``max_bytes`` UTF-8 bytes, cut on a character boundary;
- an empty result becomes ``"item"``.

``NameBook`` then makes names unique (case-insensitively, for macOS and
Windows) by adding ``-2``, ``-3``, ...

Writing never loses data (SPEC S6). ``save`` writes a whole result into a
temporary folder beside the target and renames it into place only when every
file is complete, so the target holds the previous output or the new one,
never a mix, whatever stops the process. It replaces only a folder that is
missing, empty or a previous ``save`` output; a folder holding anything else
is refused before anything is written. ``writing_file`` does the same for one
file, and ``refuse_clobber`` refuses an output that is, or resolves to, one of
the inputs.

>>> safe_name("../../etc/passwd")
'etc_passwd'
>>> safe_name("CON")
'_CON'
>>> safe_name("חתול שחור")
'חתול_שחור'
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gemini_vision.spatial.result import SpatialResult

from gemini_vision.errors import LocalError

__all__ = [
    "NameBook",
    "check_output_folder",
    "dumps_json",
    "inside",
    "is_previous_output",
    "refuse_clobber",
    "replace_folder",
    "safe_name",
    "save",
    "writing_file",
]

_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{stem}{n}" for stem in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
_UNSAFE_RUN = re.compile(r"[^\w-]+")


def safe_name(label: str, *, max_bytes: int = 60) -> str:
    """One safe path component made from ``label`` (see the module docstring).

    >>> safe_name("a/b\\\\c:d*e?")
    'a_b_c_d_e'
    >>> safe_name("   "), safe_name("nul.txt"), len(safe_name("x" * 500).encode())
    ('item', '_nul_txt', 60)
    """
    text = unicodedata.normalize("NFC", label)
    # Control, format (bidi overrides, zero-width) and unassigned characters go first.
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    text = _UNSAFE_RUN.sub("_", text).strip("_")
    if text.split("_")[0].upper() in _RESERVED or text.upper() in _RESERVED:
        text = "_" + text
    encoded = text.encode("utf-8")[:max_bytes]
    text = encoded.decode("utf-8", errors="ignore").rstrip("_")
    return text or "item"


class NameBook:
    """Hands out file names that are unique in one folder, ignoring case.

    >>> book = NameBook()
    >>> book.claim("cat", ".png"), book.claim("Cat", ".png"), book.claim("cat", ".png")
    ('cat.png', 'Cat-2.png', 'cat-3.png')
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, stem: str, suffix: str) -> str:
        name = f"{stem}{suffix}"
        number = 1
        while name.casefold() in self._taken:
            number += 1
            name = f"{stem}-{number}{suffix}"
        self._taken.add(name.casefold())
        return name


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, after checking that it cannot leave ``folder``.

    A second line of defence behind ``safe_name``: it refuses any name that
    is not a single plain component.

    >>> inside(Path("out"), "cat.png").as_posix()
    'out/cat.png'
    """
    if (
        not name
        or name in (".", "..")
        or os.sep in name
        or (os.altsep is not None and os.altsep in name)
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or Path(name).is_absolute()
        or Path(name).drive
    ):
        raise ValueError(f"refusing the file name {name!r}: not a single path component")
    return folder / name


def dumps_json(data: Any, **options: Any) -> str:
    """JSON text with non-ASCII kept, that always encodes as UTF-8.

    A label can hold a lone surrogate (``"\\ud800"`` is a valid JSON escape, so
    a model can write one); it has no UTF-8 form, so it is written back as the
    escape it came from: the file stays valid UTF-8 and reads back the same.

    >>> dumps_json({"label": "\\ud800 חתול"})
    '{"label": "\\\\ud800 חתול"}'
    >>> json.loads(dumps_json(["\\udfff"])) == ["\\udfff"]
    True
    """
    text = json.dumps(data, ensure_ascii=False, **options)
    # A raw surrogate can only stand inside a JSON string, where its escape means the same.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_clobber(outputs: Iterable[str | Path], inputs: Iterable[str | Path]) -> None:
    """Raise ``LocalError`` if an output is an input, or a folder output holds one.

    Paths are compared after resolving symbolic links and ``..``, and by file
    identity when both exist (a hard link is the same file under another name).
    Called before anything is opened for writing.

    >>> refuse_clobber(["out.parquet"], ["in.parquet"])
    >>> refuse_clobber(["a/../same.parquet"], ["same.parquet"])
    Traceback (most recent call last):
    gemini_vision.errors.LocalError: the output a/../same.parquet is the input same.parquet; \
choose another output
    """
    sources = [Path(i) for i in inputs]
    for output in (Path(o) for o in outputs):
        target = output.resolve()
        for source in sources:
            resolved = source.resolve()
            same = resolved == target or _same_file(source, output)
            if same:
                raise LocalError(
                    f"the output {output} is the input {source}; choose another output"
                )
            if target in resolved.parents:
                raise LocalError(
                    f"the output folder {output} holds the input {source}, and writing "
                    "replaces that folder; choose another output folder"
                )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


@contextlib.contextmanager
def writing_file(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed to ``target`` when the block completes.

    The data is flushed to disk before the rename, so after any failure or
    kill ``target`` holds its previous content or the new one, never a part.
    If the block raises, the temporary file is removed and ``target`` is untouched.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with writing_file(folder / "a.txt") as temp:
    ...     _ = temp.write_text("new")
    >>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
    ('new', ['a.txt'])
    """
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        raise LocalError(f"cannot write {target}: the folder {parent} does not exist")
    handle, name = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    temp = Path(name)
    try:
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; an output is not
        yield temp
        _fsync(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(parent)


def check_output_folder(target: str | Path, *, owned: Any = None) -> None:
    """Raise ``LocalError`` unless ``target`` may be replaced by a new output folder.

    It may if it is missing, an empty folder, or a folder ``owned`` accepts
    (default: ``is_previous_output``, what ``save`` writes).

    >>> check_output_folder("no-such-folder-here")
    """
    target = Path(target)
    owned = is_previous_output if owned is None else owned
    if target.exists() or target.is_symlink():
        if not target.is_dir() or target.is_symlink():
            raise LocalError(f"the output {target} exists and is not a folder")
        if any(target.iterdir()) and not owned(target):
            raise LocalError(
                f"the output folder {target} holds files gemini-vision did not write; "
                "choose a new or empty folder"
            )


def replace_folder(target: str | Path, build: Any, *, owned: Any = None) -> Any:
    """Build a new folder with ``build(temp)`` and put it in place of ``target``.

    ``build`` writes into an empty temporary folder beside ``target`` and returns
    a value, which is returned. Only then is ``target`` replaced: with one
    atomic exchange where the system has it (Linux ``renameat2``), otherwise by
    renaming the old folder aside, the new one into place, and deleting the old.
    ``target`` must be missing, empty, or a folder ``owned(target)`` accepts;
    anything else is refused before ``build`` runs, so no user file is lost.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out"
    >>> replace_folder(target, lambda temp: (temp / "result.json").write_text("{}"))
    2
    >>> replace_folder(target, lambda temp: (temp / "result.json").write_text("[1]"))
    3
    >>> (target / "result.json").read_text()
    '[1]'
    """
    target = Path(target)
    check_output_folder(target, owned=owned)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".partial"))
    try:
        os.chmod(temp, 0o777 & ~_umask())
        value = build(temp)
        for path in temp.iterdir():
            _fsync(path)
        _fsync_folder(temp)
        _swap_into_place(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return value


def _swap_into_place(temp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(temp, target)
    elif _exchange(temp, target):
        shutil.rmtree(temp)  # now the old folder
    else:
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
        os.rename(target, old / "x")
        os.rename(temp, target)
        shutil.rmtree(old)
    _fsync_folder(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    if path.is_file():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_folder(path: Path) -> None:
    # Makes the rename itself durable; not every system can open a folder.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: File names ``save`` writes: a folder holding only these is a previous output.
_OUTPUT_NAME = re.compile(
    r"(overlay|coco|result|response)(-\d+)?\.(png|json)|.+_\d+_mask(-\d+)?\.png", re.DOTALL
)


def is_previous_output(folder: Path) -> bool:
    """Whether ``folder`` holds only what ``save`` writes (so replacing it loses nothing).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "result.json").write_text("{}")
    >>> is_previous_output(folder)
    True
    >>> _ = (folder / "holiday.jpg").write_bytes(b"")
    >>> is_previous_output(folder)
    False
    """
    entries = list(folder.iterdir())
    marker = (folder / "result.json").is_file() or (folder / "response.json").is_file()
    return marker and all(
        entry.is_file() and not entry.is_symlink() and _OUTPUT_NAME.fullmatch(entry.name)
        for entry in entries
    )


def save(
    result: SpatialResult,
    folder: str | Path,
    image: Any = None,
    *,
    file_name: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write ``result`` as the folder ``folder``, all or nothing; return the written paths.

    Files: ``overlay.png`` (over ``image``, or a grey canvas without one), one
    full-frame ``<label>_<index>_mask.png`` per segment (mode "L", 0 or 255),
    ``coco.json`` (``to_coco()``, with the image's ``file_name`` when known) and
    ``result.json`` (``to_dict()``: items and diagnostics), plus ``extra``
    (name to text, e.g. ``{"response.json": ...}``). Names come from
    ``safe_name`` and are unique in the folder.

    The folder is built beside ``folder`` and renamed into place when complete
    (see the module docstring): ``folder`` must be missing, empty or a previous
    output of ``save``.

    Raises:
        LocalError: ``folder`` holds other files, or is not a folder.
    """
    if file_name is None and isinstance(image, (str, Path)):
        file_name = Path(image).name
    return list(
        replace_folder(
            folder,
            lambda temp: _write_all(result, temp, Path(folder), image, file_name, extra or {}),
            owned=is_previous_output,
        )
    )


def _write_all(
    result: SpatialResult,
    temp: Path,
    final: Path,
    image: Any,
    file_name: str | None,
    extra: Mapping[str, str],
) -> list[Path]:
    from PIL import Image

    book = NameBook()
    names: list[str] = []

    name = book.claim("overlay", ".png")
    result.overlay(image).save(inside(temp, name), format="PNG")
    names.append(name)

    width, height = result.image_size
    frame = np.zeros((height, width), dtype=np.uint8)
    for item in result.segments:
        assert item.box is not None and item.mask is not None
        x0, y0, x1, y1 = item.box
        frame[:] = 0
        frame[y0:y1, x0:x1][item.mask] = 255
        name = book.claim(f"{safe_name(item.label)}_{item.index}_mask", ".png")
        Image.fromarray(frame, "L").save(inside(temp, name), format="PNG")
        names.append(name)

    texts = {
        "coco.json": dumps_json(result.to_coco(file_name=file_name), indent=1) + "\n",
        "result.json": dumps_json(result.to_dict(), indent=1) + "\n",
        **extra,
    }
    for wanted, text in texts.items():
        stem, dot, suffix = wanted.rpartition(".")
        name = book.claim(stem, dot + suffix)
        inside(temp, name).write_text(text, encoding="utf-8")
        names.append(name)
    return [inside(final, name) for name in names]
