"""The road camera base's architecture, and how much it helps with few labels (Assignment 5).

``road_model`` is the shapes base's architecture (notebook 03) with a lane-line head; the
command ``python -m course_utils.datasets.driving_base`` pre-trains it. ``few_label_benefit``
measures the claim on its card: with 100 labelled scenes, the steering error of this base
frozen against the shapes base frozen, a random frozen base and a CNN trained from scratch.
"""

from __future__ import annotations

import numpy as np

from course_utils.datasets.driving import make_driving_data

__all__ = ["LANE_DISTANCES_M", "MODEL_NAME", "few_label_benefit", "road_model", "steering_error"]

MODEL_NAME = "road_cnn"
LANE_DISTANCES_M = (4.0, 8.0, 16.0, 32.0)


def road_model(image_size: int):
    """The shapes base's architecture (three conv blocks, pooled ``features``), 8 outputs."""
    import keras

    from course_utils.transfer.build_base import FEATURE_LAYER, build_base_model

    trunk = build_base_model(image_size)
    lines = keras.layers.Dense(2 * len(LANE_DISTANCES_M), name="lane_lines")(
        trunk.get_layer(FEATURE_LAYER).output
    )
    return keras.Model(trunk.input, lines, name=MODEL_NAME)


def steering_error(features_train, y_train, features_test, y_test, *, seed: int) -> float:
    """Test MAE (degrees) of a small dense head trained on fixed features."""
    import keras

    keras.utils.set_random_seed(seed)
    mean, std = features_train.mean(0), features_train.std(0) + 1e-3
    head = keras.Sequential(
        [
            keras.Input(features_train.shape[1:]),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    head.compile(keras.optimizers.Adam(3e-3), "mse")
    repeats = max(1, 1200 * 32 // len(features_train))
    head.fit((features_train - mean) / std, y_train, epochs=repeats, batch_size=32, verbose=0)
    return float(np.abs(head.predict((features_test - mean) / std, verbose=0) - y_test).mean())


def few_label_benefit(model, *, labelled: int = 100, seeds=(0, 1, 2), image_size: int = 32):
    """Steering test MAE (degrees) with ``labelled`` scenes, per camera encoder and seed.

    Encoders: ``model`` frozen (the road base), the course's shapes base of notebook 03 frozen,
    the same architecture randomly initialised and frozen, and that architecture trained from
    scratch end to end. A frozen encoder gets a small dense head trained on its features.
    """
    import keras

    from course_utils.transfer.pretrained import DEFAULT_BASE_PATH, preprocess_images

    pool, test = make_driving_data(1000, seed=101), make_driving_data(1000, seed=102)
    x_pool, x_test = (preprocess_images(d.inputs["camera"]) for d in (pool, test))
    y_pool, y_test = pool.targets["steering"], test.targets["steering"]

    def features(network):
        base = keras.Model(network.input, network.get_layer("features").output)
        return tuple(base.predict(x, batch_size=256, verbose=0) for x in (x_pool, x_test))

    shapes = keras.saving.load_model(DEFAULT_BASE_PATH, safe_mode=True, compile=False)
    frozen = {"road_cnn_frozen": features(model), "shapes_cnn_frozen": features(shapes)}
    rows: dict[str, list[float]] = {key: [] for key in (*frozen, "random_frozen", "from_scratch")}
    for seed in seeds:
        pick = np.random.default_rng(seed).choice(len(pool), labelled, replace=False)
        keras.utils.set_random_seed(1000 + seed)
        frozen["random_frozen"] = features(road_model(image_size))
        for key, (train_features, test_features) in frozen.items():
            rows[key].append(
                steering_error(train_features[pick], y_pool[pick], test_features, y_test, seed=seed)
            )
        keras.utils.set_random_seed(seed)
        scratch = road_model(image_size)
        head = keras.layers.Dense(64, activation="relu")(scratch.get_layer("features").output)
        net = keras.Model(scratch.input, keras.layers.Dense(1)(head))
        net.compile(keras.optimizers.Adam(3e-3), "mse")
        net.fit(x_pool[pick], y_pool[pick], epochs=1200 * 32 // labelled, batch_size=32, verbose=0)
        rows["from_scratch"].append(float(np.abs(net.predict(x_test, verbose=0) - y_test).mean()))
    return {key: [round(v, 3) for v in values] for key, values in rows.items()}
