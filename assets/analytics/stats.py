"""Confidence intervals used by the analytics marts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import fmean, stdev

from scipy import stats

Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval for a proportion: stays inside [0, 1] and behaves at 0/n and n/n, unlike the
    normal approximation, which matters for the small groups a reminder step or variant produces."""
    if trials <= 0:
        return None, None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes ({successes}) must lie between 0 and trials ({trials})")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = p + z * z / (2 * trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - half) / denominator), min(1.0, (centre + half) / denominator)


def t_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | tuple[None, None]:
    """Student-t interval for a mean; None bounds when fewer than two values leave no spread to measure."""
    n = len(values)
    if n < 2:
        return None, None
    mean = fmean(values)
    half = stats.t.ppf((1 + confidence) / 2, n - 1) * stdev(values) / math.sqrt(n)
    return mean - half, mean + half
