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

>>> safe_name("../../etc/passwd")
'etc_passwd'
>>> safe_name("CON")
'_CON'
>>> safe_name("חתול שחור")
'חתול_שחור'
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gemini_vision.spatial.result import SpatialResult

__all__ = ["NameBook", "inside", "safe_name", "save"]

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


def save(result: SpatialResult, folder: str | Path, image: Any = None) -> list[Path]:
    """Write ``result`` under ``folder`` (created if needed); return the written paths.

    Files: ``overlay.png`` (over ``image``, or a grey canvas without one), one
    full-frame ``<label>_<index>_mask.png`` per segment (mode "L", 0 or 255),
    ``coco.json`` (``to_coco()``) and ``result.json`` (``to_dict()``: items and
    diagnostics). Names come from ``safe_name`` and are unique in the folder.
    """
    import json

    from PIL import Image

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    book = NameBook()
    written: list[Path] = []

    overlay_path = inside(out, book.claim("overlay", ".png"))
    result.overlay(image).save(overlay_path)
    written.append(overlay_path)

    width, height = result.image_size
    frame = np.zeros((height, width), dtype=np.uint8)
    for item in result.segments:
        assert item.box is not None and item.mask is not None
        x0, y0, x1, y1 = item.box
        frame[:] = 0
        frame[y0:y1, x0:x1][item.mask] = 255
        path = inside(out, book.claim(f"{safe_name(item.label)}_{item.index}_mask", ".png"))
        Image.fromarray(frame, "L").save(path)
        written.append(path)

    file_name = Path(image).name if isinstance(image, (str, Path)) else None
    for name, data in (
        ("coco", result.to_coco(file_name=file_name)),
        ("result", result.to_dict()),
    ):
        path = inside(out, book.claim(name, ".json"))
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written
