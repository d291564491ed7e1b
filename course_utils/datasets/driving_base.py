"""Pre-train the road camera base of Assignment 5 and write it to ``data/pretrained/``.

    python -m course_utils.datasets.driving_base                 # the shipped base (minutes)
    python -m course_utils.datasets.driving_base --measure-only  # re-measure, no training
    python -m course_utils.datasets.driving_base --out /tmp/road --scenes 2000 --epochs 1

The shapes base of notebook 03 does not help on road pictures: its pooled features keep *which*
strokes an image has, not *where* the lane lines run (the card's comparison: with 100 labelled
scenes its steering error is no better than a random frozen base's, and far above a CNN trained
from scratch). So the course pre-trains a base on a driving *source* task with many labels: find
the lane lines, i.e. regress the image column of the left and right line at 4, 8, 16 and 32 m
ahead, on 20 000 scenes whose labels come for free from the generator. The assignment's target
task, steering and braking with a few thousand labelled scenes, reuses it frozen.

The build writes ``road_cnn.keras`` (loadable with ``PretrainedModel.from_file``, cut at its
``features`` layer), ``road_cnn.json`` (the card ``PretrainedModel`` reads) and ``road_cnn.md``
(the same card for people), with the seed, the command, the sha256, the source-task error and
the few-label comparison (``few_label_benefit``): the steering error with 100 labelled scenes of
this base frozen, the shapes base frozen, a random frozen base, and a CNN trained from scratch.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import sys
import time

import numpy as np

from course_utils.datasets.driving import DrivingData, make_driving_data
from course_utils.datasets.road_model import (
    LANE_DISTANCES_M,
    MODEL_NAME,
    few_label_benefit,
    road_model,
)
from course_utils.paths import PRETRAINED_DIR
from course_utils.validation import check_int, check_positive_int

__all__ = [
    "DEFAULT_DIR",
    "MODEL_NAME",
    "LANE_DISTANCES_M",
    "lane_line_columns",
    "few_label_benefit",
    "build",
    "measure",
    "main",
]

DEFAULT_DIR = PRETRAINED_DIR  # data/pretrained/, shipped in the wheel too (course_utils/paths.py)
EVAL_SEED_OFFSET = 10_000
DEFAULTS = {"scenes": 20_000, "epochs": 6, "seed": 11}
BENEFIT = "steering_mae_deg_100_labelled_scenes"


def lane_line_columns(data: DrivingData, image_size: int = 32) -> np.ndarray:
    """Source labels: image column / width of the left then right lane line at each distance."""
    curvature, offset, width = (
        data.scene[key][:, None] for key in ("curvature", "offset", "lane_width")
    )
    z = np.asarray(LANE_DISTANCES_M)[None]
    centre = -offset + curvature * z**2 / 2
    focal = 0.75 * image_size  # as in driving._render
    columns = [0.5 + focal * (centre + side * width / 2) / z / image_size for side in (-1, 1)]
    return np.concatenate(columns, axis=1).astype(np.float32)


def measure(out_dir: pathlib.Path | str = DEFAULT_DIR) -> dict:
    """Re-measure the few-label comparison of a built base and rewrite its cards (no training)."""
    out_dir = pathlib.Path(out_dir)
    card_path = out_dir / f"{MODEL_NAME}.json"
    if not card_path.is_file():
        raise FileNotFoundError(f"{card_path}: build the base first (without --measure-only)")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    from course_utils.notebook import setup

    setup(seed=card["seed"], deterministic=True)
    import keras

    model = keras.saving.load_model(out_dir / card["model_file"], safe_mode=True, compile=False)
    start = time.perf_counter()
    card[BENEFIT] = few_label_benefit(model)
    card["measure_seconds_on_the_build_machine"] = round(time.perf_counter() - start, 1)
    _write_cards(out_dir, card)
    return card


def _write_cards(out_dir: pathlib.Path, card: dict) -> None:
    (out_dir / f"{MODEL_NAME}.json").write_text(json.dumps(card, indent=2) + "\n", "utf-8")
    (out_dir / f"{MODEL_NAME}.md").write_text(_markdown(card), "utf-8")


def build(
    out_dir: pathlib.Path | str = DEFAULT_DIR,
    *,
    scenes: int = DEFAULTS["scenes"],
    epochs: int = DEFAULTS["epochs"],
    seed: int = DEFAULTS["seed"],
    measure_benefit: bool = True,
    verbose: int = 0,
) -> dict:
    """Train the road base on the lane-line task, save model and cards; return the card."""
    check_int("scenes", scenes, minimum=64)
    check_positive_int("epochs", epochs)
    from course_utils.notebook import setup

    info = setup(seed=seed, deterministic=True)
    import keras

    from course_utils.transfer.pretrained import preprocess_images

    start = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = make_driving_data(scenes, seed=seed)
    fresh = make_driving_data(2000, seed=seed + EVAL_SEED_OFFSET)
    model = road_model(32)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse")
    model.fit(
        preprocess_images(source.inputs["camera"]),
        lane_line_columns(source),
        epochs=epochs,
        batch_size=64,
        shuffle=True,
        verbose=verbose,
    )
    predicted = model.predict(preprocess_images(fresh.inputs["camera"]), verbose=0)
    error_px = np.abs(predicted - lane_line_columns(fresh)) * 32
    model_path = out_dir / f"{MODEL_NAME}.keras"
    model.save(model_path)
    given = {"scenes": scenes, "epochs": epochs, "seed": seed}
    command = "python -m course_utils.datasets.driving_base" + "".join(
        f" --{key} {value}" for key, value in given.items() if value != DEFAULTS[key]
    )
    card = {
        "model_file": model_path.name,
        "sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "description": "Small CNN pre-trained to find lane lines in road scenes (Assignment 5).",
        "source_task": "regress the column of the left and right lane line at "
        f"{', '.join(f'{z:g}' for z in LANE_DISTANCES_M)} m ahead (course_utils.datasets.driving)",
        "image_shape": [32, 32, 3],
        "preprocessing": "uint8 RGB in [0, 255] -> x / 127.5 - 1 (PretrainedModel.preprocess)",
        "feature_layer": "features",
        "top_block_layers": ["block3_conv", "block3_bn", "block3_relu"],
        "parameter_count": int(model.count_params()),
        "train_scenes": scenes,
        "epochs": epochs,
        "seed": seed,
        "eval_seed": seed + EVAL_SEED_OFFSET,
        "source_error_px": round(float(error_px.mean()), 3),
        "source_accuracy_within_1px": round(float((error_px <= 1.0).mean()), 4),
        "command": command,
        "tensorflow": info.tensorflow_version,
        "keras": info.keras_version,
    }
    card["build_seconds_on_the_build_machine"] = round(time.perf_counter() - start, 1)
    _write_cards(out_dir, card)
    return measure(out_dir) if measure_benefit else card


def _markdown(card: dict) -> str:
    lines = [f"# Model card: {card['model_file']}", "", card["description"], ""]
    lines += [f"- **{key}**: {value}" for key, value in card.items() if key != "description"]
    benefit = card.get(BENEFIT)
    if benefit:
        lines += ["", "Steering test MAE (degrees) with 100 labelled scenes, seeds 0, 1, 2:", ""]
        lines += ["| camera encoder | per seed | mean |", "|---|---|---|"]
        lines += [f"| {key} | {value} | {np.mean(value):.3f} |" for key, value in benefit.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_DIR), help="output folder")
    parser.add_argument("--scenes", type=int, default=DEFAULTS["scenes"])
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--no-benefit", action="store_true", help="skip the few-label comparison")
    parser.add_argument(
        "--measure-only", action="store_true", help="re-measure the comparison of a built base"
    )
    args = parser.parse_args(argv)
    if args.measure_only:
        card = measure(args.out)
        print(f"{card[BENEFIT]} in {card['measure_seconds_on_the_build_machine']} s")
        return 0
    card = build(
        args.out,
        scenes=args.scenes,
        epochs=args.epochs,
        seed=args.seed,
        measure_benefit=not args.no_benefit,
        verbose=2,
    )
    print(
        f"wrote {pathlib.Path(args.out) / card['model_file']}: lane-line error "
        f"{card['source_error_px']} px, {card['build_seconds_on_the_build_machine']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
