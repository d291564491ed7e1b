"""Pre-train the course's base CNN on the source shapes and write it to ``data/pretrained/``.

    python -m course_utils.transfer.build_base            # the shipped base (a few minutes)
    python -m course_utils.transfer.build_base --out /tmp/base --per-class 100 --epochs 1
    python -m course_utils.transfer.build_base --comparison   # notebook 03's full sweep (minutes)

No machine of the course can download ImageNet weights, so the course makes its own pre-trained
base: a small CNN with BatchNormalization, trained on ``SOURCE_CLASSES`` from
``course_utils.datasets.images``. It writes ``shapes_cnn.keras`` (the source classifier, loadable
with ``safe_mode=True``) and ``shapes_cnn.json``, the model card (classes, accuracy on fresh
samples, seed, command, parameter count). Notebooks 03 and 05 load it; they never retrain it.

``--comparison`` runs notebook 03's full measurement, transfer against the same CNN from scratch
for 5 to 200 labels per class and three seeds, and writes ``shapes_transfer_vs_scratch.json``
with its card ``.md``; the notebook re-runs a part of it live and checks it against the file.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

from course_utils.checksums import file_sha256
from course_utils.datasets.images import SOURCE_CLASSES, TARGET_CLASSES, source_task
from course_utils.notebook import setup
from course_utils.paths import PRETRAINED_DIR
from course_utils.transfer.applications import preprocess_images
from course_utils.transfer.base_model import FEATURE_LAYER, MODEL_NAME, TOP_BLOCK, build_base_model
from course_utils.transfer.keras_utils import compile_classifier
from course_utils.validation import check_positive_int

__all__ = ["DEFAULT_DIR", "MODEL_NAME", "build_base_model", "build", "build_comparison", "main"]

DEFAULT_DIR = PRETRAINED_DIR
# The rebuilt base's source accuracy must fall within this distance of the card's value.
TOLERANCE = 0.03
EVAL_SEED_OFFSET = 10_000
COMPARISON_FILE = "shapes_transfer_vs_scratch.json"


def build(
    out_dir: pathlib.Path | str = DEFAULT_DIR,
    *,
    per_class: int = 1500,
    epochs: int = 8,
    seed: int = 7,
    eval_per_class: int = 300,
    batch_size: int = 64,
    image_size: int = 32,
    verbose: int = 0,
) -> dict:
    """Train the base on the source task, save model + card under ``out_dir``; return the card."""
    info = setup(seed=seed, deterministic=True)
    per_class = check_positive_int("per_class", per_class)
    epochs = check_positive_int("epochs", epochs)
    eval_per_class = check_positive_int("eval_per_class", eval_per_class)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    x_train, y_train = source_task(per_class, image_size=image_size, seed=seed)
    x_eval, y_eval = source_task(
        eval_per_class, image_size=image_size, seed=seed + EVAL_SEED_OFFSET
    )
    model = build_base_model(image_size)
    compile_classifier(model, 2e-3)
    model.fit(
        preprocess_images(x_train),
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=verbose,
    )
    _, accuracy = model.evaluate(preprocess_images(x_eval), y_eval, verbose=0)
    model_path = out_dir / f"{MODEL_NAME}.keras"
    model.save(model_path)
    command = "python -m course_utils.transfer.build_base"
    defaults = {"per_class": 1500, "epochs": 8, "seed": 7, "eval_per_class": 300}
    given = {
        "per_class": per_class,
        "epochs": epochs,
        "seed": seed,
        "eval_per_class": eval_per_class,
    }
    for key, value in given.items():
        if value != defaults[key]:
            command += f" --{key.replace('_', '-')} {value}"
    card = {
        "model_file": model_path.name,
        "sha256": file_sha256(model_path),
        "description": "Small CNN pre-trained on procedural shapes; the course's offline base.",
        "source_classes": list(SOURCE_CLASSES),
        "target_classes_it_was_not_trained_on": list(TARGET_CLASSES),
        "image_shape": [image_size, image_size, 3],
        "preprocessing": "uint8 RGB in [0, 255] -> x / 127.5 - 1 (PretrainedModel.preprocess)",
        "feature_layer": FEATURE_LAYER,
        "top_block_layers": list(TOP_BLOCK),
        "parameter_count": int(model.count_params()),
        "train_images_per_class": per_class,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "eval_seed": seed + EVAL_SEED_OFFSET,
        "eval_images_per_class": eval_per_class,
        "source_accuracy": round(float(accuracy), 4),
        "reproduce_tolerance": TOLERANCE,
        "command": command,
        "tensorflow": info.tensorflow_version,
        "keras": info.keras_version,
        "build_seconds_on_the_build_machine": round(time.perf_counter() - start, 1),
    }
    (out_dir / f"{MODEL_NAME}.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def build_comparison(
    path: pathlib.Path | str | None = None,
    *,
    labels_per_class: tuple[int, ...] = (5, 10, 20, 50, 100, 200),
    seeds: tuple[int, ...] = (0, 1, 2),
) -> dict:
    """Run ``transfer_vs_scratch`` on the shipped base in full; write the JSON and its card."""
    from course_utils.transfer.images import (
        COMPARISON_DATA,
        COMPARISON_PATH,
        comparison_data,
        summarize_comparison,
        transfer_vs_scratch,
    )
    from course_utils.transfer.pretrained import PretrainedModel

    info = setup(seed=0, deterministic=True)
    path = pathlib.Path(path or COMPARISON_PATH)
    start = time.perf_counter()
    data = comparison_data()
    rows = transfer_vs_scratch(
        PretrainedModel.from_file(),
        data["pool"],
        data["validation"],
        data["test"],
        labels_per_class=labels_per_class,
        seeds=seeds,
    )
    result = {
        "description": "Notebook 03: test accuracy of transfer vs the same CNN from scratch.",
        "command": "python -m course_utils.transfer.build_base --comparison",
        "base_sha256": file_sha256(DEFAULT_DIR / f"{MODEL_NAME}.keras"),
        "data": COMPARISON_DATA,
        "protocol": "transfer_vs_scratch defaults: batch 32, Adam (head 1e-2, scratch 2e-3), "
        "validation accuracy every 20 steps, stop after 10 without a new best, best restored",
        "tensorflow": info.tensorflow_version,
        "keras": info.keras_version,
        "seconds_on_the_build_machine": round(time.perf_counter() - start, 1),
        "rows": rows,
    }
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines: list[str] = [
        f"# Card: {path.name}",
        "",
        str(result["description"]),
        "",
        f"- **command**: `{result['command']}` (part of `make data`; a few minutes on 2 cores)",
        f"- **base**: {MODEL_NAME}.keras, sha256 {result['base_sha256']}",
        f"- **data** (`target_task(per_class, seed)`): {json.dumps(COMPARISON_DATA)}",
        f"- **protocol**: {result['protocol']}",
        f"- **tensorflow / keras**: {info.tensorflow_version} / {info.keras_version}",
        "- **used by**: notebooks/03_transfer_learning.ipynb, which re-runs part of it live and "
        "asserts that the live rows match these",
        "",
        "| labels per class | transfer | scratch | gain |",
        "|---|---|---|---|",
    ]
    for size, mean in summarize_comparison(rows).items():
        lines.append(
            f"| {size} | {mean['transfer']:.3f} | {mean['scratch']:.3f} | {mean['gain']:+.3f} |"
        )
    path.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_DIR), help="output folder")
    parser.add_argument("--per-class", type=int, default=1500, help="training images per class")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--eval-per-class", type=int, default=300, help="fresh images per class")
    parser.add_argument(
        "--comparison", action="store_true", help="notebook 03's transfer-vs-scratch sweep instead"
    )
    args = parser.parse_args(argv)
    if args.comparison:
        result = build_comparison()
        print(
            f"wrote {COMPARISON_FILE}: {len(result['rows'])} runs in "
            f"{result['seconds_on_the_build_machine']} s"
        )
        return 0
    card = build(
        args.out,
        per_class=args.per_class,
        epochs=args.epochs,
        seed=args.seed,
        eval_per_class=args.eval_per_class,
        verbose=2,
    )
    print(
        f"wrote {pathlib.Path(args.out) / card['model_file']}: "
        f"{card['parameter_count']} parameters, source accuracy {card['source_accuracy']:.3f} "
        f"in {card['build_seconds_on_the_build_machine']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
