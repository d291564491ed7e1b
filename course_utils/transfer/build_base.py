"""Pre-train the course's base CNN on the source shapes and write it to ``data/pretrained/``.

    python -m course_utils.transfer.build_base            # the shipped base (a few minutes)
    python -m course_utils.transfer.build_base --out /tmp/base --per-class 100 --epochs 1

No machine of the course can download ImageNet weights, so the course makes its own pre-trained
base: a small CNN with BatchNormalization, trained on ``SOURCE_CLASSES`` from
``course_utils.datasets.images``. It writes ``shapes_cnn.keras`` (the source classifier, loadable
with ``safe_mode=True``) and ``shapes_cnn.json``, the model card (classes, accuracy on fresh
samples, seed, command, parameter count). Notebooks 03 and 05 load it; they never retrain it.
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

__all__ = ["DEFAULT_DIR", "MODEL_NAME", "build_base_model", "build", "main"]

DEFAULT_DIR = PRETRAINED_DIR
# The rebuilt base's source accuracy must fall within this distance of the card's value.
TOLERANCE = 0.03
EVAL_SEED_OFFSET = 10_000


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_DIR), help="output folder")
    parser.add_argument("--per-class", type=int, default=1500, help="training images per class")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--eval-per-class", type=int, default=300, help="fresh images per class")
    args = parser.parse_args(argv)
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
