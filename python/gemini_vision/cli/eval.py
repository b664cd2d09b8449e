"""The ``eval`` subcommand: score predictions against a COCO ground truth.

Predictions are a COCO results JSON, the batch's item table (Parquet or Arrow
IPC, ``batch.output_schema()``), or model answers (``--answer ID=FILE``, the
model's text for image ``ID``, parsed for that image's size). It prints the
twelve COCO stats, precision / recall / F1 at IoU 0.5, and every label that
mapped to no category; with ``--out`` it writes ``metrics.json``, the PR
curves and per-category bars (matplotlib, the ``eval`` extra) and the error
gallery (one PNG per image found with ``--images``). ``--compare`` scores a
second run on the same images and prints each metric's difference with a
paired bootstrap interval. ``--demo`` evaluates the shipped sample answer
against the hand-made ground truth beside it.
"""

from __future__ import annotations

import argparse
import json
from importlib import resources
from pathlib import Path
from typing import Any

from gemini_vision.cli.output import UsageError, report

__all__ = ["cmd_eval", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``eval`` on the main parser's subcommands."""
    p = sub.add_parser("eval", help="score predictions against a COCO ground truth (COCO metrics)")
    p.add_argument("--ground-truth", "-g", type=Path, help="COCO ground-truth JSON")
    p.add_argument(
        "--predictions",
        "-p",
        type=Path,
        help="COCO results JSON, or the batch's item table (.parquet, .arrow)",
    )
    p.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="ID=FILE",
        help="a model answer (text or response JSON) for image ID; repeat per image",
    )
    p.add_argument("--iou-type", choices=("bbox", "segm"), default="bbox")
    p.add_argument("--synonyms", type=Path, help="JSON object: label -> category name or id")
    p.add_argument("--prompt", help="the categories the prompt named, comma-separated")
    p.add_argument("--images", type=Path, help="folder holding the images (by file_name)")
    p.add_argument("--out", type=Path, help="folder for metrics.json, charts and the gallery")
    p.add_argument("--compare", type=Path, help="a second run's predictions, to compare")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap draws for --compare")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed for --compare")
    p.add_argument("--demo", action="store_true", help="evaluate the shipped sample")
    p.set_defaults(func=cmd_eval)


def _read_table(path: Path) -> Any:
    import pyarrow as pa

    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    with pa.memory_map(str(path)) as source:
        try:
            return pa.ipc.open_file(source).read_all()
        except pa.ArrowInvalid:
            return pa.ipc.open_stream(source).read_all()


def _answers(specs: list[str], gt: Any) -> dict[Any, Any]:
    from gemini_vision.errors import EvaluationError
    from gemini_vision.spatial import parse

    out = {}
    for spec in specs:
        key, sep, file = spec.partition("=")
        if not sep:
            raise EvaluationError(f"--answer takes ID=FILE, got {spec!r}")
        image_id: Any = int(key) if key.lstrip("-").isdigit() else key
        if image_id not in gt.image_sizes:
            raise EvaluationError(f"--answer: image {image_id!r} is not in the ground truth")
        h, w = gt.image_sizes[image_id]
        text = Path(file).read_text(encoding="utf-8")
        out[image_id] = parse(text, (w, h))
    return out


def _load(args: argparse.Namespace, source: Path | None, gt: Any, labels: Any) -> Any:
    from gemini_vision.evaluate.sources import as_predictions

    if source is None:
        if not args.answer:
            raise UsageError("give --predictions or --answer (or --demo)")
        return as_predictions(_answers(args.answer, gt), gt, labels)
    if source.suffix in (".parquet", ".arrow", ".feather", ".ipc"):
        return as_predictions(_read_table(source), gt, labels)
    return as_predictions(source, gt, labels)


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate, print the metrics, write the files; 0 when done."""
    from gemini_vision import evaluate
    from gemini_vision.evaluate import plots

    images_dir = args.images
    if args.demo:
        data = resources.files("gemini_vision") / "data"
        with resources.as_file(data) as folder:
            args.ground_truth = folder / "demo_ground_truth.json"
            args.synonyms = args.synonyms or folder / "demo_synonyms.json"
            args.answer = [f"1={folder / 'demo_answer.txt'}"]
            images_dir = folder
            if args.out is None:
                args.out = Path("gemini-vision-eval")
            return _run(args, images_dir, evaluate, plots)
    if args.ground_truth is None:
        raise UsageError("give --ground-truth (or --demo)")
    return _run(args, images_dir, evaluate, plots)


def _run(args: argparse.Namespace, images_dir: Path | None, evaluate: Any, plots: Any) -> int:
    from gemini_vision.errors import EvaluationError
    from gemini_vision.evaluate.compare import STAT_NAMES

    gt = evaluate.load_ground_truth(args.ground_truth)
    synonyms = None
    if args.synonyms is not None:
        synonyms = json.loads(Path(args.synonyms).read_text(encoding="utf-8"))
    prompt = [s.strip() for s in args.prompt.split(",") if s.strip()] if args.prompt else None
    labels = evaluate.LabelMap(gt.category_names, synonyms=synonyms, prompt=prompt)
    preds = _load(args, args.predictions, gt, labels)
    result = evaluate.coco(gt, preds, args.iou_type)
    at = evaluate.prf(result).at(0.5)
    comparison = None
    if args.compare is not None:
        other_labels = evaluate.LabelMap(gt.category_names, synonyms=synonyms, prompt=prompt)
        other = evaluate.coco(gt, _load(args, args.compare, gt, other_labels), args.iou_type)
        comparison = evaluate.compare(result, other, n_boot=args.n_boot, seed=args.seed)
    metrics: dict[str, Any] = {
        "iou_type": args.iou_type,
        "images": len(gt.image_ids),
        "instances": len(gt.id),
        "predictions": len(preds.score),
        "stats": dict(zip(STAT_NAMES, result.stats.tolist(), strict=True)),
        "per_category": {
            result.category_names.get(c, str(c)): v for c, v in result.per_category().items()
        },
        "at_iou_0.5": at,
        "unmapped_labels": dict(labels.unmapped.most_common()),
    }
    if comparison is not None:
        metrics["comparison"] = comparison.rows

    def text() -> None:
        print(
            f"{args.iou_type} evaluation: {len(gt.image_ids)} images, {len(gt.id)} instances, "
            f"{len(preds.score)} predictions with a category"
        )
        print(result.summary())
        print(
            f"IoU 0.5, one-to-one: TP {at['tp']:.0f}, FP {at['fp']:.0f}, FN {at['fn']:.0f}; "
            f"precision {at['precision']:.3f}, recall {at['recall']:.3f}, F1 {at['f1']:.3f}, "
            f"mean IoU of matches {at['mean_iou']:.3f}"
        )
        if labels.unmapped:
            listed = ", ".join(f"{k!r} x{n}" for k, n in labels.unmapped.most_common())
            print(f"labels that mapped to no category (counted as false positives): {listed}")
        if comparison is not None:
            print(
                f"comparison (b = {args.compare.name} minus a), paired bootstrap, "
                f"{args.n_boot} draws, seed {args.seed}:"
            )
            print(comparison.table())

    written: list[Path] = []
    if args.out is not None:
        out: Path = args.out
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n")
        written.append(out / "metrics.json")
        try:
            written.append(plots.pr_curves(result, out / "pr_curves.png"))
            written.append(plots.category_bars(result, out / "categories.png"))
        except EvaluationError as e:
            metrics["note"] = f"no charts: {e}"
        if images_dir is not None:
            files = gt.file_names

            def image(image_id: Any) -> Path | None:
                name = files.get(image_id)
                path = images_dir / name if name else None
                return path if path is not None and path.is_file() else None

            written += plots.error_gallery(result, image, out / "gallery")
        metrics["files"] = [str(p) for p in written]

    def text_and_files() -> None:
        text()
        if "note" in metrics:
            print(f"note: {metrics['note']}")
        if args.out is not None:
            print(f"wrote {len(written)} files to {args.out}/:")
            for path in written:
                print(f"  {path.relative_to(args.out)}")

    report(args, metrics, text_and_files)
    return 0
