"""``DataPartitioner``: every item goes to exactly one worker (notebook 07).

The first step of a distributed round is to split the data. The property that matters is
*exactly once*: no item is dropped and none is seen twice, whatever the number of items and
workers (uneven splits, more workers than items, a shuffled order).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_utils.validation import check_bool, check_int

__all__ = ["DataPartitioner"]


class DataPartitioner:
    """Split item indices ``0 .. num_items - 1`` into one contiguous-size block per worker.

    Sizes differ by at most one (the first ``num_items % num_workers`` workers get one more);
    with more workers than items, the last workers get empty partitions. With ``shuffle=True``
    the indices are permuted first with a NumPy generator seeded by ``seed``, so the split is
    random but reproducible.
    """

    def __init__(self, num_workers: int, *, shuffle: bool = False, seed: int | None = 0) -> None:
        self.num_workers = check_int("num_workers", num_workers, minimum=1)
        self.shuffle = check_bool("shuffle", shuffle)
        self.seed = check_int("seed", seed, minimum=0, optional=True)

    def partition(self, num_items: int) -> list[np.ndarray]:
        """Return ``num_workers`` int64 index arrays that together hold each index exactly once."""
        num_items = check_int("num_items", num_items, minimum=0)
        order = np.arange(num_items, dtype=np.int64)
        if self.shuffle:
            order = np.random.default_rng(self.seed).permutation(order)
        return [part.copy() for part in np.array_split(order, self.num_workers)]

    @staticmethod
    def reassign(
        partitions: Sequence[np.ndarray], failed: Sequence[int]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Hand the partitions of the ``failed`` workers to the survivors.

        Returns ``(new_partitions, extra)``: ``extra[i]`` is what survivor ``i`` receives (empty
        for failed workers, whose new partition is empty too) and ``new_partitions[i]`` is its
        old partition followed by ``extra[i]``. The orphaned items are split as evenly as the
        partitioner splits data, so exactly-once still holds.
        """
        n = len(partitions)
        bad = sorted({check_int("failed worker index", index) for index in failed})
        for index in bad:
            if not 0 <= index < n:
                raise ValueError(f"failed worker index {index} is outside 0..{n - 1}")
        survivors = [i for i in range(n) if i not in bad]
        if not survivors:
            raise ValueError(f"all {n} workers failed: there is nobody to reassign to")
        orphaned = (
            np.concatenate([partitions[i] for i in bad]) if bad else np.empty(0, dtype=np.int64)
        )
        extra = [np.empty(0, dtype=np.int64) for _ in range(n)]
        for survivor, chunk in zip(
            survivors, np.array_split(orphaned.astype(np.int64), len(survivors)), strict=True
        ):
            extra[survivor] = chunk
        new = [
            np.empty(0, dtype=np.int64)
            if i in bad
            else np.concatenate([np.asarray(partitions[i], dtype=np.int64), extra[i]])
            for i in range(n)
        ]
        return new, extra

    def __repr__(self) -> str:
        return (
            f"DataPartitioner(num_workers={self.num_workers}, shuffle={self.shuffle}, "
            f"seed={self.seed})"
        )
