"""Parse an answer for an image and write everything made from it (SPEC C1, C2).

``render`` is what ``gemini-vision demo``, ``render``, ``detect`` and
``segment`` share: open the image, parse the answer for the image's size,
write the overlay, masks and COCO JSON, and report a table of the items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemini_vision.errors import LocalError

if TYPE_CHECKING:
    from PIL import Image

    from gemini_vision.spatial.decode import Limits
    from gemini_vision.spatial.result import SpatialResult

__all__ = ["RenderReport", "render"]


@dataclass(frozen=True)
class RenderReport:
    """What ``render`` did: the parsed result and the files it wrote."""

    result: SpatialResult
    files: tuple[Path, ...]
    folder: Path

    def table(self) -> str:
        """The items as a text table: index, kind, label, pixel box, mask area.

        >>> from gemini_vision import spatial
        >>> r = spatial.parse('[{"box_2d": [0, 0, 500, 500], "label": "a"}]', (4, 4))
        >>> print(RenderReport(r, (), Path(".")).table())
          #  kind  label  box (x0, y0, x1, y1)  mask area
          0  box   a      (0, 0, 2, 2)          -
        """
        rows = [("#", "kind", "label", "box (x0, y0, x1, y1)", "mask area")]
        for item in self.result.items:
            if item.box is not None:
                where = str(item.box)
            elif item.point is not None:
                where = f"point {item.point}"
            else:
                where = "3D " + ", ".join(f"{v:g}" for v in item.box_3d or ())
            area = str(item.area) if item.mask is not None else "-"
            rows.append((str(item.index), item.kind, item.label, where, area))
        widths = [max(len(row[c]) for row in rows) for c in range(5)]
        lines = []
        for row in rows:
            cells = [row[0].rjust(widths[0])] + [row[c].ljust(widths[c]) for c in range(1, 4)]
            lines.append("  " + "  ".join([*cells, row[4]]).rstrip())
        return "\n".join(lines)


def render(
    image: Any,
    response: str | Mapping[str, Any] | Path,
    out: str | Path,
    *,
    threshold: int = 127,
    pillow: int = 13,
    limits: Limits | None = None,
    file_name: str | None = None,
    extra: Mapping[str, str] | None = None,
    duplicates: str = "keep",
) -> RenderReport:
    """Parse ``response`` for ``image`` and write overlay, masks and COCO JSON to ``out``.

    Args:
        image: a path, ``PIL.Image`` or uint8 array: the image the model saw
            (its size converts the normalized coordinates). A JPEG's EXIF
            orientation is applied first: coordinates refer to the image as
            displayed (SPEC I6).
        response: the model's text, a generateContent response (dict or JSON
            text), or a ``Path`` to a file holding either.
        out: the output folder: written all or nothing (``SpatialResult.save``);
            it must be missing, empty or an earlier output, and hold no input.
        threshold, pillow, limits, duplicates: as for ``parse``.
        file_name: the image's name in the COCO JSON (default: the name of
            ``image`` when it is a path).
        extra: more files for the folder, name to text (``detect`` adds the
            model's ``response.json``).

    Returns:
        A ``RenderReport`` with the result, the written files and a table.

    Raises:
        LocalError: the response file or image cannot be read, or the output
            folder holds an input or files it did not write.
    """
    from gemini_vision.spatial import parse
    from gemini_vision.spatial.files import refuse_clobber

    folder = Path(out)
    # Before anything is read or written: the output folder is replaced as a whole.
    # (a str response is the answer's text, a Path its file.)
    inputs = [image] if isinstance(image, (str, Path)) else []
    refuse_clobber([folder], [*inputs, *([response] if isinstance(response, Path) else [])])
    picture = _open_image(image)
    if isinstance(response, Path):
        try:
            response = response.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LocalError(f"cannot read the response file {response}: {exc}") from exc
    result = parse(
        response,
        picture.size,
        threshold=threshold,
        pillow=pillow,
        limits=limits,
        duplicates=duplicates,
    )
    if file_name is None and isinstance(image, (str, Path)):
        file_name = Path(image).name
    files = result.save(folder, picture, file_name=file_name, extra=extra)
    return RenderReport(result, tuple(files), folder)


def _open_image(image: Any) -> Image.Image:
    """The image as displayed: EXIF orientation applied, as the model's boxes assume (I6)."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    picture: Image.Image
    if isinstance(image, Image.Image):
        picture = image
    elif isinstance(image, np.ndarray):
        return Image.fromarray(image)
    else:
        try:
            with Image.open(image) as opened:
                opened.load()
                picture = opened.copy()
        except (OSError, UnidentifiedImageError) as exc:
            raise LocalError(f"cannot read the image {image}: {exc}") from exc
    return ImageOps.exif_transpose(picture)
