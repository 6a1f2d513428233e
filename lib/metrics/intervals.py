"""How sure a weekly value is: the 95 % Wilson score interval of its counts (DECISIONS.md §17)."""

from __future__ import annotations

import math

# z for a two-sided 95 % interval (the 97.5th percentile of the standard normal).
Z95 = 1.959963984540054


def wilson(good: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``good`` of ``total`` as fractions (no continuity correction)."""
    if not total:
        return None
    p = good / total
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def wilson_percent(good: int | None, total: int | None) -> tuple[float, float] | None:
    if good is None or not total:
        return None
    low, high = wilson(good, total)
    return 100 * low, 100 * high


def interval_text(good: int | None, total: int | None) -> str:
    interval = wilson_percent(good, total)
    return "" if interval is None else f"95 % interval {interval[0]:.1f}–{interval[1]:.1f} %"


def rounded_interval(good: int | None, total: int | None) -> list[float] | None:
    interval = wilson_percent(good, total)
    return None if interval is None else [round(interval[0], 4), round(interval[1], 4)]
