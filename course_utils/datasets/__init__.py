"""Synthetic data the notebooks use, made by seeded code of ours (no downloads).

- ``course_utils.datasets.images``: procedural RGB images for transfer learning (notebooks 03, 05)
- ``course_utils.datasets.text``: a corpus and a labelled review set for sentiment (notebook 04)
- ``course_utils.datasets.tabular``: binary classification for logistic regression (notebook 02)
- ``course_utils.datasets.sine``: noisy samples of sin(x) and a held-out grid (assignment 4)
"""

from course_utils.datasets.sine import SineData, make_sine_data

__all__ = ["SineData", "make_sine_data"]
