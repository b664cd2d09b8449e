"""The ``demo`` and ``render`` subcommands (SPEC C1, C2).

``demo`` renders the sample shipped in ``gemini_vision/data/`` (a synthetic
scene and a synthetic answer written in the model's format, made by
``scripts/make_demo_sample.py``; no model was called) offline; ``render IMAGE
-r ANSWER -o OUT`` does the same for the user's image and answer file. Both
write their output folder all or nothing (``SpatialResult.save``); with
``--json`` they print one JSON document: the image, the files written, the
items and the diagnostics.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gemini_vision
from gemini_vision.cli.output import UsageError, report, threshold_value

if TYPE_CHECKING:
    from importlib.abc import Traversable

    from gemini_vision.spatial import RenderReport

__all__ = ["DEMO_ANSWER", "DEMO_IMAGE", "cmd_demo", "cmd_render", "register", "render_document"]

DEMO_IMAGE = "demo_scene.png"
DEMO_ANSWER = "demo_answer.txt"
DEFAULT_MODEL = "gemini-2.5-flash"
#: The pixel box the demo resizes the sample mask (data/sample_mask.png) to, as (width, height).
DEMO_BOX = (300, 200)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``demo`` and ``render`` on the main parser's subcommands."""
    demo = sub.add_parser(
        "demo",
        help="render the shipped sample (a synthetic scene and a synthetic answer), offline",
        description=(
            "Render the sample shipped with the package: a synthetic scene drawn with Pillow "
            "and a synthetic segmentation answer written in the model's format (no model was "
            "called). Writes the overlay, one mask per item and COCO JSON."
        ),
    )
    demo.add_argument(
        "-o", "--out", type=Path, default=Path("gemini-vision-demo"), help="output folder"
    )
    _common(demo)
    demo.set_defaults(func=cmd_demo)

    render = sub.add_parser(
        "render",
        help="draw a saved answer over its image: overlay, masks, COCO JSON",
        description=(
            "Parse the model's answer for IMAGE and write the overlay, one mask PNG per item, "
            "coco.json and result.json as the folder OUT (replaced as a whole when complete; "
            "it must be new, empty, or an earlier output)."
        ),
    )
    render.add_argument(
        "image", type=Path, nargs="?", metavar="IMAGE", help="the image the model saw"
    )
    # Before IMAGE was positional (as for detect, segment and tokens) it was --image.
    render.add_argument("--image", dest="image_option", type=Path, help=argparse.SUPPRESS)
    render.add_argument(
        "-r",
        "--response",
        type=Path,
        required=True,
        help="the model's text, or a generateContent response JSON",
    )
    render.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    _common(render)
    render.set_defaults(func=cmd_render)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t",
        "--threshold",
        type=threshold_value,
        default=127,
        help="mask pixels are value > THRESHOLD, 0 to 255 (127)",
    )
    parser.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODEL,
        help=f"model for the token estimate ({DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--drop-duplicates",
        action="store_true",
        help="drop items that are exact copies of an earlier one (always reported)",
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Render the shipped sample into ``args.out`` and print what was found."""
    data = resources.files("gemini_vision") / "data"
    with (
        resources.as_file(data / DEMO_IMAGE) as image,
        resources.as_file(data / DEMO_ANSWER) as answer,
    ):
        rendered = _render(image, answer, args)
    sample = _sample_mask(data)
    doc = {
        "version": gemini_vision.__version__,
        "backend": gemini_vision.backend,
        "sample": {"image": DEMO_IMAGE, "answer": DEMO_ANSWER, "synthetic": True},
        **render_document(rendered, args.model),
        "sample_mask": sample,
    }

    def text() -> None:
        print(f"gemini-vision {gemini_vision.__version__}, backend: {gemini_vision.backend}")
        print(f"sample (synthetic scene and answer, offline): {DEMO_IMAGE} and {DEMO_ANSWER}")
        _print_render(rendered, args.model)
        width, height = DEMO_BOX
        print(f"sample mask: {sample['width']}x{sample['height']} grey PNG probability map")
        print(
            f"resized to a {width}x{height} box, threshold 127: mask area {sample['area']} px "
            f"({100 * sample['area'] / (width * height):.1f}% of the box)"
        )

    report(args, doc, text)
    return 0


def _sample_mask(data: Traversable) -> dict[str, Any]:
    """One mask through the documented steps by hand: decode, resize to a box, > 127."""
    from gemini_vision import masks

    mask = masks.decode_png((data / "sample_mask.png").read_bytes())
    # The documented procedure (SPEC S5): resize to the pixel box, then value > 127.
    area = int(masks.resize_threshold(mask, DEMO_BOX, 127).sum())
    return {
        "width": int(mask.shape[1]),
        "height": int(mask.shape[0]),
        "box": list(DEMO_BOX),
        "threshold": 127,
        "area": area,
    }


def cmd_render(args: argparse.Namespace) -> int:
    """Render the user's image and answer into ``args.out`` and print what was found."""
    if (args.image is None) == (args.image_option is None):
        raise UsageError("render takes one IMAGE (render IMAGE -r ANSWER -o OUT)")
    image = args.image if args.image is not None else args.image_option
    rendered = _render(image, args.response, args)
    report(args, render_document(rendered, args.model), lambda: _print_render(rendered, args.model))
    return 0


def check_output(out: Path, inputs: list[Path]) -> None:
    """Refuse (``UsageError``) an output folder that holds an input or other files."""
    from gemini_vision.errors import LocalError
    from gemini_vision.spatial.files import check_output_folder, refuse_clobber

    try:
        refuse_clobber([out], inputs)
        check_output_folder(out)
    except LocalError as exc:
        raise UsageError(str(exc)) from None


def _render(image: Path, response: Path, args: argparse.Namespace) -> RenderReport:
    from gemini_vision.spatial import render

    check_output(args.out, [image, response])
    return render(
        image,
        response,
        args.out,
        threshold=args.threshold,
        duplicates="drop" if args.drop_duplicates else "keep",
    )


def render_document(rendered: RenderReport, model: str) -> dict[str, Any]:
    """What ``render`` reports, as plain JSON values (the ``--json`` output).

    >>> from gemini_vision import spatial
    >>> r = spatial.parse('[{"box_2d": [0, 0, 500, 500], "label": "a"}]', (4, 4))
    >>> doc = render_document(spatial.RenderReport(r, (), Path("out")), "gemini-2.5-flash")
    >>> doc["image"], doc["items"][0]["box"]
    ({'width': 4, 'height': 4}, [0, 0, 2, 2])
    """
    from gemini_vision.tokens import image_tokens

    result = rendered.result
    width, height = result.image_size
    return {
        "image": {"width": width, "height": height},
        "source": result.source,
        "truncated": result.truncated,
        "finish_reason": result.finish_reason,
        "items": [item.to_dict() for item in result.items],
        "diagnostics": result.to_dict()["diagnostics"],
        "tokens": {
            "model": model,
            "default": image_tokens(width, height, model=model),
            "documented": image_tokens(width, height, rule="documented"),
        },
        "folder": str(rendered.folder),
        "files": [str(path) for path in rendered.files],
    }


def _print_render(rendered: RenderReport, model: str) -> None:
    result = rendered.result
    width, height = result.image_size
    print(f"image: {width}x{height}; answer: JSON from {result.source}")
    print(rendered.table())
    for diagnostic in result.diagnostics:
        print(f"  note: {diagnostic.message}")
    print(_token_line(width, height, model))
    print(f"wrote {len(rendered.files)} files to {rendered.folder}/:")
    for path in rendered.files:
        print(f"  {path.name}")


def _token_line(width: int, height: int, model: str) -> str:
    """The image's token estimate: the model's default rule and the seed's documented one."""
    from gemini_vision.tokens import image_tokens

    return (
        f"image tokens, {width}x{height}: {image_tokens(width, height, model=model)} "
        f"({model} default), {image_tokens(width, height, rule='documented')} (documented rule)"
    )
