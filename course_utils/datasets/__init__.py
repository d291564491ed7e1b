"""Synthetic data the notebooks use, made by seeded code of ours (no downloads).

- ``course_utils.datasets.images``: procedural RGB images for transfer learning (notebooks 03, 05)
- ``course_utils.datasets.text``: a corpus and a labelled review set for sentiment (notebook 04)
- ``course_utils.datasets.tabular``: binary classification for logistic regression (notebook 02)
- ``course_utils.datasets.sine``: noisy samples of sin(x) and a held-out grid (assignment 4)
- ``course_utils.datasets.driving``: camera, lidar and vehicle readings of road scenes, with
  steering and braking targets (assignment 5); ``driving_base`` pre-trains its road camera base
"""

from course_utils.datasets.driving import DrivingData, make_driving_data
from course_utils.datasets.sine import SineData, make_sine_data

__all__ = ["DrivingData", "SineData", "make_driving_data", "make_sine_data"]
