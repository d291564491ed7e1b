"""The driving scenes of Assignment 5: deterministic, shaped as documented, and made so that
no single sensor is enough; the road base's labels and card."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from course_utils.datasets import driving_base
from course_utils.datasets.driving import (
    LIDAR_MAX_RANGE,
    SAFETY_MARGIN_M,
    epoch_order,
    make_driving_data,
    steering_angle,
    stopping_distance,
)


@pytest.fixture(scope="module")
def scenes():
    return make_driving_data(400, seed=5)


def test_same_seed_same_scenes_different_seed_different_scenes():
    a, b, c = (make_driving_data(20, seed=s) for s in (3, 3, 4))
    for key in a.inputs:
        assert np.array_equal(a.inputs[key], b.inputs[key])
        assert not np.array_equal(a.inputs[key], c.inputs[key])
    assert all(np.array_equal(a.targets[k], b.targets[k]) for k in a.targets)


def test_inputs_and_targets_have_the_documented_shapes_and_types(scenes):
    shapes = {key: (value.shape, value.dtype) for key, value in scenes.inputs.items()}
    assert shapes == {
        "camera": ((400, 32, 32, 3), np.uint8),
        "lidar": ((400, 32), np.float32),
        "vehicle": ((400, 2), np.float32),
    }
    assert all(
        value.shape == (400, 1) and value.dtype == np.float32 for value in scenes.targets.values()
    )
    assert len(scenes) == 400
    small = make_driving_data(3, image_size=24, lidar_beams=8)
    assert small.inputs["camera"].shape == (3, 24, 24, 3) and small.inputs["lidar"].shape == (3, 8)


def test_brake_means_the_stopping_distance_reaches_the_vehicle_ahead(scenes):
    s = scenes.scene
    expected = s["ahead"] & (stopping_distance(s["speed"], s["grip"]) >= s["distance"])
    assert np.array_equal(scenes.targets["brake"][:, 0] == 1, expected)
    assert 0.2 < expected.mean() < 0.6  # both decisions are common
    assert not scenes.targets["brake"][~s["ahead"]].any()  # an empty road never needs braking
    # the same distance can need braking or not: it depends on the speed
    near = s["ahead"] & (s["distance"] > 20) & (s["distance"] < 30)
    assert 0 < scenes.targets["brake"][near].mean() < 1


def test_stopping_distance_grows_with_speed_and_with_a_slippery_road():
    assert stopping_distance(20, 0.8) > stopping_distance(10, 0.8)
    assert stopping_distance(20, 0.4) > stopping_distance(20, 0.8)
    assert stopping_distance(0, 0.8) == pytest.approx(SAFETY_MARGIN_M)


def test_steering_follows_the_curve_and_corrects_the_offset(scenes):
    s = scenes.scene
    ideal = steering_angle(s["curvature"], s["offset"])
    assert np.abs(scenes.targets["steering"][:, 0] - ideal).max() < 0.6  # small label noise
    assert steering_angle(0.01, 0.0) > 0 > steering_angle(0.0, 0.5)  # right curve; right of centre


def test_lidar_sees_the_vehicle_ahead_and_nothing_else(scenes):
    s, lidar = scenes.scene, scenes.inputs["lidar"]
    assert np.all(lidar[~s["ahead"]] == LIDAR_MAX_RANGE)
    nearest = lidar[s["ahead"]].min(axis=1)
    seen = nearest < LIDAR_MAX_RANGE
    assert seen.mean() > 0.9  # a beam or two may drop out, rarely all of them
    assert np.abs(nearest[seen] - s["distance"][s["ahead"]][seen]).max() < 2.0


def test_the_lidar_carries_no_lane_information(scenes):
    """Steering must need the camera: on an empty road the scan is the same for every lane."""
    s = scenes.scene
    empty = ~s["ahead"]
    assert np.ptp(scenes.inputs["lidar"][empty]) == 0.0
    assert np.std(scenes.targets["steering"][empty]) > 1.0


def test_the_camera_shows_the_lane_lines_and_the_vehicle_ahead():
    data = make_driving_data(60, seed=9)
    pictures = data.inputs["camera"].astype(int)
    assert pictures.std() > 20
    # lane lines: bright pixels against the asphalt in the lower half of every picture
    lower = pictures[:, 20:, :, :].sum(axis=-1)
    assert np.all(lower.max(axis=(1, 2)) - np.median(lower, axis=(1, 2)) > 80)
    # the same seed without vehicles ahead changes exactly the pictures that had one close by
    empty = make_driving_data(60, seed=9, ahead_rate=0.0)
    close = data.scene["ahead"] & (data.scene["distance"] < 15)
    assert close.any()
    changed = np.abs(pictures - empty.inputs["camera"].astype(int)).max(axis=(1, 2, 3)) > 25
    assert np.all(changed[close])


def test_subset_keeps_every_array_aligned(scenes):
    part = scenes.subset(np.array([5, 1]))
    assert len(part) == 2
    assert np.array_equal(part.inputs["camera"][1], scenes.inputs["camera"][1])
    assert part.targets["brake"][0] == scenes.targets["brake"][5]
    assert part.scene["speed"][0] == scenes.scene["speed"][5]


def test_epoch_order_is_a_permutation_fixed_by_the_epoch():
    first, again, second = epoch_order(50, 3), epoch_order(50, 3), epoch_order(50, 4)
    assert sorted(first.tolist()) == list(range(50))
    assert np.array_equal(first, again) and not np.array_equal(first, second)
    assert not np.array_equal(epoch_order(50, 3, seed=1), first)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_driving_data(0), "n must be"),
        (lambda: make_driving_data(5, image_size=8), "image_size"),
        (lambda: make_driving_data(5, lidar_beams=2), "lidar_beams"),
        (lambda: make_driving_data(5, ahead_rate=1.5), "ahead_rate"),
        (lambda: epoch_order(10, -1), "epoch"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_driving_data(2.5), "n must be"),
        (lambda: epoch_order(True, 0), "n must be"),
        (lambda: make_driving_data(5, ahead_rate="half"), "ahead_rate"),
    ],
)
def test_wrong_types_raise_type_errors(call, message):
    # The package's one rule (course_utils/validation.py): wrong type -> TypeError.
    with pytest.raises(TypeError, match=message):
        call()


# -- the road base (course_utils.datasets.driving_base) -------------------------------------------
def test_lane_line_labels_are_symmetric_on_a_straight_road_when_centred():
    data = make_driving_data(4, seed=0)
    for key in ("curvature", "offset"):
        data.scene[key][:] = 0.0
    columns = driving_base.lane_line_columns(data)
    left, right = columns[:, :4], columns[:, 4:]
    assert np.allclose(left + right, 1.0)  # mirror images around the middle column
    assert np.all(np.diff(left, axis=1) > 0)  # farther ahead, closer to the middle


def test_shipped_road_base_matches_its_card():
    path = driving_base.DEFAULT_DIR / f"{driving_base.MODEL_NAME}.keras"
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert path.stat().st_size < 1_000_000
    assert card["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card["command"].startswith("python -m course_utils.datasets.driving_base")
    mean = {key: np.mean(value) for key, value in card[driving_base.BENEFIT].items()}
    # with few labels the frozen road base beats every other camera encoder
    assert mean["road_cnn_frozen"] < min(
        mean["shapes_cnn_frozen"], mean["random_frozen"], mean["from_scratch"]
    )
    markdown = path.with_suffix(".md").read_text(encoding="utf-8")
    assert card["sha256"] in markdown and card["command"] in markdown


def test_build_rejects_bad_sizes(tmp_path):
    with pytest.raises(ValueError, match="scenes"):
        driving_base.build(tmp_path, scenes=10)
    with pytest.raises(ValueError, match="epochs"):
        driving_base.build(tmp_path, epochs=0)


def test_a_reduced_build_writes_a_loadable_base_and_both_cards(tmp_path):
    """Same code path as the shipped build, on 64 scenes and one epoch."""
    from course_utils.transfer import PretrainedModel

    card = driving_base.build(tmp_path, scenes=64, epochs=1, measure_benefit=False)
    assert card["command"].endswith("--scenes 64 --epochs 1")
    loaded = PretrainedModel.from_file(tmp_path / "road_cnn.keras")
    assert loaded.card == card and loaded.feature_dim == 64
    assert (tmp_path / "road_cnn.md").read_text(encoding="utf-8").startswith("# Model card")
