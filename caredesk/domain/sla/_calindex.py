"""A bucketed ``searchsorted`` for the business calendar's batch API.

Concept: ``np.searchsorted`` over random queries is a binary search per query (tens of
nanoseconds each, branch mispredictions included). The calendar's sorted boundaries are spread
fairly evenly over time, so ``BucketIndex`` cuts the axis into buckets of a power-of-two width
``w`` and remembers, per bucket, how many boundaries lie at or before (``side="right"``) or
strictly before (``side="left"``) its start. A query then costs one gather plus at most ``K``
vectorised "step past the next boundary" corrections, ``K`` being the most boundaries any bucket
holds.

Invariants: ``BucketIndex(x, side).search(q)`` equals ``np.searchsorted(x, q, side)`` exactly for
every finite ``q`` inside ``[x_lo, x_hi]`` given at construction. ``x`` is sorted, finite except
for a trailing ``+inf`` sentinel. Bucket numbers are exact because ``q / w`` with ``w`` a power of
two is exact in binary floating point.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["BucketIndex"]

_MAX_BUCKETS = 1 << 22
_TARGET_K = 2


class BucketIndex:
    __slots__ = ("_b0", "_count", "_inv_w", "_k", "_nb", "_side", "_x")

    def __init__(
        self,
        x: npt.NDArray[np.float64],
        x_lo: float,
        x_hi: float,
        side: Literal["left", "right"],
        width: float,
    ) -> None:
        self._x = x
        self._side = side
        w = 2.0 ** math.floor(math.log2(max(width, 2.0**-20)))
        while True:
            b0 = math.floor(x_lo / w)
            nb = math.floor(x_hi / w) - b0 + 1
            starts = (np.arange(nb, dtype=np.float64) + b0) * w
            count = np.searchsorted(x, starts, side=side).astype(np.intp)
            ends = np.searchsorted(x, starts + w, side=side)
            k = int(np.max(ends - count)) if nb else 0
            if k <= _TARGET_K or nb * 2 > _MAX_BUCKETS:
                break
            w /= 2.0
        self._inv_w = 1.0 / w
        self._b0 = b0
        self._nb = nb
        self._count = count
        self._k = k

    def search(self, q: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        b = np.floor(q * self._inv_w).astype(np.intp)
        b -= self._b0
        np.clip(b, 0, self._nb - 1, out=b)
        i = self._count.take(b)
        x = self._x
        if self._side == "right":
            for _ in range(self._k):
                i += x.take(i) <= q
        else:
            for _ in range(self._k):
                i += x.take(i) < q
        return i
