"""The ``demo`` and ``render`` subcommands (SPEC C1, C2).

``demo`` renders the sample shipped in ``gemini_vision/data/`` (a synthetic
scene and a recorded segmentation answer, made by ``scripts/make_demo_sample.py``)
offline; ``render`` does the same for the user's image and answer file.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import gemini_vision

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = ["DEMO_ANSWER", "DEMO_IMAGE", "cmd_demo", "cmd_render", "register"]

DEMO_IMAGE = "demo_scene.png"
DEMO_ANSWER = "demo_answer.txt"
DEFAULT_MODEL = "gemini-2.5-flash"
#: The pixel box the demo resizes the sample mask (data/sample_mask.png) to, as (width, height).
DEMO_BOX = (300, 200)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``demo`` and ``render`` on the main parser's subcommands."""
    demo = sub.add_parser(
        "demo", help="render the shipped sample (synthetic scene + recorded answer), offline"
    )
    demo.add_argument("--out", type=Path, default=Path("gemini-vision-demo"), help="output folder")
    _common(demo)
    demo.set_defaults(func=cmd_demo)

    render = sub.add_parser(
        "render", help="draw a saved answer over its image: overlay, masks, COCO JSON"
    )
    render.add_argument("--image", type=Path, required=True, help="the image the model saw")
    render.add_argument(
        "--response",
        type=Path,
        required=True,
        help="the model's text, or a generateContent response JSON",
    )
    render.add_argument("--out", type=Path, required=True, help="output folder")
    _common(render)
    render.set_defaults(func=cmd_render)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold", type=int, default=127, help="mask pixels are value > THRESHOLD (127)"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model for the token estimate ({DEFAULT_MODEL})"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Render the shipped sample into ``args.out`` and print what was found."""
    print(f"gemini-vision {gemini_vision.__version__}, backend: {gemini_vision.backend}")
    data = resources.files("gemini_vision") / "data"
    with (
        resources.as_file(data / DEMO_IMAGE) as image,
        resources.as_file(data / DEMO_ANSWER) as answer,
    ):
        print(f"sample (synthetic, offline): {DEMO_IMAGE} and the answer {DEMO_ANSWER}")
        code = _render_and_report(image, answer, args)
    _sample_mask(data)
    return code


def _sample_mask(data: Traversable) -> None:
    """One mask through the documented steps by hand: decode, resize to a box, > 127."""
    from gemini_vision import masks

    mask = masks.decode_png((data / "sample_mask.png").read_bytes())
    print(f"sample mask: {mask.shape[1]}x{mask.shape[0]} grey PNG probability map")
    # The documented procedure (SPEC S5): resize to the pixel box, then value > 127.
    width, height = DEMO_BOX
    area = int(masks.resize_threshold(mask, DEMO_BOX, 127).sum())
    print(
        f"resized to a {width}x{height} box, threshold 127: mask area {area} px "
        f"({100 * area / (width * height):.1f}% of the box)"
    )


def cmd_render(args: argparse.Namespace) -> int:
    """Render the user's image and answer into ``args.out`` and print what was found."""
    return _render_and_report(args.image, args.response, args)


def _render_and_report(image: Path, response: Path, args: argparse.Namespace) -> int:
    from gemini_vision.spatial import render

    report = render(image, response, args.out, threshold=args.threshold)
    result = report.result
    width, height = result.image_size
    print(f"image: {width}x{height}; answer: JSON from {result.source}")
    print(report.table())
    for diagnostic in result.diagnostics:
        print(f"  note: {diagnostic.message}")
    print(_token_line(width, height, args.model))
    print(f"wrote {len(report.files)} files to {report.folder}/:")
    for path in report.files:
        print(f"  {path.name}")
    return 0


def _token_line(width: int, height: int, model: str) -> str:
    """The image's token estimate: the model's default rule and the seed's documented one."""
    from gemini_vision.tokens import image_tokens

    return (
        f"image tokens, {width}x{height}: {image_tokens(width, height, model=model)} "
        f"({model} default), {image_tokens(width, height, rule='documented')} (documented rule)"
    )
