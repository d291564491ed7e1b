"""Synthetic driving scenes for Assignment 5 (multimodal driving): a camera, a lidar, the vehicle.

Each scene is a car on a curved road, maybe with another vehicle ahead. Three sensors see it:

- ``camera``: a small front-camera picture (``uint8``, ``(n, size, size, 3)``) drawn in
  perspective: sky, grass, the road with its two lane lines, and the vehicle ahead (if any).
  The lane lines show the road's *curvature* and the car's lateral *offset* in its lane.
- ``lidar``: ranges in metres (``float32``, ``(n, beams)``) of a horizontal scan over 60 degrees
  ahead. Beams that hit the vehicle ahead return its distance, the others return nothing
  (``LIDAR_MAX_RANGE``); a few returns drop out. The lidar sees no lane lines.
- ``vehicle``: the car's own state (``float32``, ``(n, 2)``): speed in m/s from the speedometer and
  the road's grip (0.4 wet, 0.8 dry) that the navigation map reports for the GPS position.

Two targets (``float32``, ``(n, 1)`` each), made so that no single sensor is enough:

- ``steering``: the steering angle in degrees that brings the car back to the lane centre along
  the curve. Curvature and offset are visible only to the camera.
- ``brake``: 1 when the car must brake now: its stopping distance at this speed and grip
  (``stopping_distance``) reaches the vehicle ahead. The lidar measures the distance well, the
  camera only roughly (far vehicles are a few pixels), and only ``vehicle`` knows the speed.

Everything is a pure function of the seed (NumPy's PCG64 generator).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from course_utils.validation import check_float, check_int

__all__ = [
    "LIDAR_MAX_RANGE",
    "LIDAR_FIELD_OF_VIEW",
    "VEHICLE_FEATURES",
    "DrivingData",
    "make_driving_data",
    "stopping_distance",
    "steering_angle",
    "epoch_order",
]

LIDAR_MAX_RANGE = 60.0  # metres: a beam that hits nothing returns this
LIDAR_FIELD_OF_VIEW = 60.0  # degrees, centred straight ahead
VEHICLE_FEATURES = ("speed_mps", "road_grip")
REACTION_SECONDS, SAFETY_MARGIN_M, GRAVITY = 0.6, 2.0, 9.81
WHEELBASE_M, OFFSET_GAIN_DEG_PER_M = 2.7, 6.0
CAMERA_HEIGHT_M, OTHER_WIDTH_M, OTHER_HEIGHT_M = 1.6, 1.8, 1.5


def stopping_distance(speed, grip) -> np.ndarray:
    """Metres the car needs to stop: reaction distance + braking distance + a safety margin."""
    speed, grip = np.asarray(speed, dtype=np.float64), np.asarray(grip, dtype=np.float64)
    return speed * REACTION_SECONDS + speed**2 / (2 * grip * GRAVITY) + SAFETY_MARGIN_M


def steering_angle(curvature, offset) -> np.ndarray:
    """Degrees: follow the curve (``atan(wheelbase * curvature)``) and steer back to the centre.

    ``offset`` > 0 means the car is right of the lane centre, so it steers left (negative).
    """
    curvature, offset = np.asarray(curvature, np.float64), np.asarray(offset, np.float64)
    return np.degrees(np.arctan(WHEELBASE_M * curvature)) - OFFSET_GAIN_DEG_PER_M * offset


@dataclasses.dataclass(frozen=True)
class DrivingData:
    """Sensor inputs, targets and the hidden scene parameters of ``len(self)`` scenes."""

    inputs: dict[str, np.ndarray]  # "camera", "lidar", "vehicle"
    targets: dict[str, np.ndarray]  # "steering", "brake"
    scene: dict[str, np.ndarray]  # curvature, offset, lane_width, ahead, distance, ...

    def __len__(self) -> int:
        return len(self.targets["steering"])

    def subset(self, rows) -> DrivingData:
        """The scenes at ``rows`` (indices or a boolean mask), in that order."""
        return DrivingData(
            {key: value[rows] for key, value in self.inputs.items()},
            {key: value[rows] for key, value in self.targets.items()},
            {key: value[rows] for key, value in self.scene.items()},
        )


def _check_int(name: str, value, minimum: int) -> None:
    check_int(name, value, minimum=minimum)


def _coverage(distance_px, half_width_px):
    """Soft (anti-aliased) coverage of a pixel by a band of the given half width."""
    return np.clip(half_width_px + 0.5 - distance_px, 0.0, 1.0)


def _per_image(colour):
    """An ``(n, 3)`` colour per image, shaped to broadcast over ``(n, size, size, 3)``."""
    return colour[:, None, None, :]


def _render(scene: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    n = len(scene["speed"])
    focal, horizon = 0.75 * size, 0.3 * size
    rows = np.arange(size) + 0.5
    cols = np.arange(size) + 0.5 - size / 2
    below = np.clip(rows - horizon, 1e-3, None)
    z = (focal * CAMERA_HEIGHT_M / below)[None, :, None]  # ground distance of each row
    x = cols[None, None, :] * z / focal  # lateral ground position of each pixel
    ground = (rows > horizon)[None, :, None]
    curv, offset = scene["curvature"][:, None, None], scene["offset"][:, None, None]
    width = scene["lane_width"][:, None, None]
    centre = -offset + curv * z**2 / 2  # lane centre, as seen from the car
    to_px = focal / z
    road = _coverage(np.abs(x - centre) * to_px, (width / 2 + 0.8) * to_px)
    lines = np.zeros_like(road)
    for side in (-1, 1):
        gap = np.abs(x - (centre + side * width / 2)) * to_px
        lines = np.maximum(lines, _coverage(gap, np.maximum(0.1 * to_px, 0.4)))
    sky_colour = rng.uniform([90, 120, 160], [170, 200, 250], (n, 3))
    grass_colour = rng.uniform([40, 80, 20], [110, 150, 70], (n, 3))
    asphalt = rng.uniform(60, 130, (n, 1)) * np.ones(3)
    line_colour = np.where(rng.random((n, 1)) < 0.5, [[235, 235, 235]], [[230, 200, 60]])
    c = _per_image
    image = c(grass_colour) + road[..., None] * c(asphalt - grass_colour)
    image = image + lines[..., None] * c(line_colour - asphalt)
    haze = np.clip((z - 25.0) / 40.0, 0.0, 1.0)[..., None]  # far ground fades into the sky
    image = image + haze * (c(sky_colour) - image)
    image = np.where(ground[..., None], image, c(sky_colour))
    # The vehicle ahead: a box standing on the road at its distance, drawn last (it hides the road).
    ahead = scene["ahead"]
    d = np.where(ahead, scene["distance"], 1.0)[:, None]
    lateral = scene["lateral"][:, None]
    u_mid, u_half = focal * lateral / d, focal * OTHER_WIDTH_M / 2 / d
    v_bottom = horizon + focal * CAMERA_HEIGHT_M / d
    v_top = horizon + focal * (CAMERA_HEIGHT_M - OTHER_HEIGHT_M) / d
    across = _coverage(np.abs(cols[None] - u_mid), u_half)[:, None, :]
    down = _coverage(np.abs(rows[None] - (v_top + v_bottom) / 2), (v_bottom - v_top) / 2)
    box = (across * down[:, :, None] * ahead[:, None, None])[..., None]
    body = rng.uniform(20, 230, (n, 3))
    image = image + box * (c(body) - image)
    image = image * rng.uniform(0.75, 1.15, (n, 1, 1, 1))
    image = image + rng.standard_normal(image.shape) * rng.uniform(2.0, 10.0, (n, 1, 1, 1))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def _scan(scene: dict, beams: int, rng: np.random.Generator) -> np.ndarray:
    angles = np.radians(np.linspace(-LIDAR_FIELD_OF_VIEW / 2, LIDAR_FIELD_OF_VIEW / 2, beams))
    d, lateral = scene["distance"][:, None], scene["lateral"][:, None]
    hit_x = d * np.tan(angles)[None]  # where each beam crosses the other vehicle's rear
    hit = scene["ahead"][:, None] & (np.abs(hit_x - lateral) <= OTHER_WIDTH_M / 2)
    ranges = np.where(hit, d / np.cos(angles)[None], LIDAR_MAX_RANGE)
    ranges = ranges + hit * rng.normal(0.0, 0.3, ranges.shape)
    dropped = rng.random(ranges.shape) < 0.03
    return np.where(dropped, LIDAR_MAX_RANGE, ranges).astype(np.float32)


def make_driving_data(
    n: int,
    *,
    seed: int = 0,
    image_size: int = 32,
    lidar_beams: int = 32,
    ahead_rate: float = 0.85,
) -> DrivingData:
    """``n`` seeded driving scenes: ``inputs``, ``targets`` and the ``scene`` that made them.

    ``ahead_rate`` is the share of scenes with a vehicle ahead (4 to 55 m away); the others
    show an empty road. Same seed, same scenes, on every machine.
    """
    _check_int("n", n, 1)
    _check_int("image_size", image_size, 16)
    _check_int("lidar_beams", lidar_beams, 4)
    check_float("ahead_rate", ahead_rate, minimum=0.0, maximum=1.0)
    rng = np.random.default_rng(seed)
    scene = {
        "curvature": rng.uniform(-0.015, 0.015, n),  # 1/m: radius 67 m or more
        "offset": rng.uniform(-0.8, 0.8, n),  # m right of the lane centre
        "lane_width": rng.uniform(3.2, 3.8, n),  # m
        "ahead": rng.random(n) < ahead_rate,
        "distance": rng.uniform(4.0, 55.0, n),  # m to the vehicle ahead (if any)
        "lateral": rng.uniform(-1.0, 1.0, n),  # m: where it is, left/right of our axis
        "speed": rng.uniform(2.0, 22.0, n),  # m/s
        "grip": np.where(rng.random(n) < 0.5, 0.4, 0.8),
    }
    steering = steering_angle(scene["curvature"], scene["offset"]) + rng.normal(0, 0.1, n)
    brake = scene["ahead"] & (stopping_distance(scene["speed"], scene["grip"]) >= scene["distance"])
    inputs = {
        "camera": _render(scene, image_size, rng),
        "lidar": _scan(scene, lidar_beams, rng),
        "vehicle": np.stack([scene["speed"], scene["grip"]], axis=1).astype(np.float32),
    }
    targets = {
        "steering": steering.astype(np.float32)[:, None],
        "brake": brake.astype(np.float32)[:, None],
    }
    return DrivingData(inputs, targets, scene)


def epoch_order(n: int, epoch: int, *, seed: int = 0) -> np.ndarray:
    """The order in which to visit ``n`` training examples in ``epoch``: a pure function of both.

    A run resumed from a checkpoint at epoch ``k`` then sees exactly the batches the
    uninterrupted run saw from epoch ``k`` on.
    """
    _check_int("n", n, 1)
    _check_int("epoch", epoch, 0)
    return np.random.default_rng([seed, epoch]).permutation(n)
