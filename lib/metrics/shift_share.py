"""Where a change in a pooled value comes from: the exact shift-share split (DECISIONS.md §16).

``decompose`` splits the change in a pooled (combined) value between two periods into one
contribution per slice of a dimension, each made of a *rate* part (the slice's own value moved)
and a *mix* part (the slice's share of the volume moved). The parts are exact fractions and sum
exactly to the total change. The counts come from ``lib.metrics.explain``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from fractions import Fraction

SMALL_GROUP = "Small slices"


class CannotExplain(ValueError):
    """The data cannot answer this question; ``message`` says why in words a manager can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Slice:
    name: str
    good0: int
    total0: int
    good1: int
    total1: int
    share0: Fraction
    share1: Fraction
    rate0: Fraction | None  # percent; None when the slice has no events in that period
    rate1: Fraction | None
    rate_part: Fraction  # points of the total change
    mix_part: Fraction
    small: bool = False  # fewer than the minimum of events in both periods: too small to judge
    members: tuple[str, ...] = ()  # the slices grouped into "Small slices"

    @property
    def contribution(self) -> Fraction:
        return self.rate_part + self.mix_part


@dataclass
class Decomposition:
    kpi: str
    dimension: str
    weeks0: tuple[dt.date, ...]
    weeks1: tuple[dt.date, ...]
    good0: int
    total0: int
    good1: int
    total1: int
    slices: list[Slice]
    min_events: int
    notes: list[str] = field(default_factory=list)

    @property
    def value0(self) -> Fraction:
        return Fraction(100 * self.good0, self.total0)

    @property
    def value1(self) -> Fraction:
        return Fraction(100 * self.good1, self.total1)

    @property
    def total_change(self) -> Fraction:
        return self.value1 - self.value0

    def rounded_parts(self, decimals: int = 4) -> list[tuple[float, float]]:
        """Each slice's (rate, mix) rounded so that, rounded, they still sum to the rounded total change."""
        exact = [part for s in self.slices for part in (s.rate_part, s.mix_part)]
        flat = rounded_to_sum(exact, self.total_change, decimals)
        return [(flat[2 * i], flat[2 * i + 1]) for i in range(len(self.slices))]

    def to_json(self) -> dict:
        parts = self.rounded_parts()
        return {
            "kpi": self.kpi,
            "by": self.dimension,
            "week": str(self.weeks1[-1]),
            "weeks": [str(w) for w in self.weeks1],
            "against_weeks": [str(w) for w in self.weeks0],
            "value": round(float(self.value1), 4),
            "good": self.good1,
            "total": self.total1,
            "against_value": round(float(self.value0), 4),
            "against_good": self.good0,
            "against_total": self.total0,
            "total_change": round(self.total_change * 10**4) / 10**4,  # as rounded_to_sum rounds it
            "min_events": self.min_events,
            "slices": [
                {
                    "slice": s.name,
                    "good": s.good1,
                    "total": s.total1,
                    "value": None if s.rate1 is None else round(float(s.rate1), 4),
                    "against_good": s.good0,
                    "against_total": s.total0,
                    "against_value": None if s.rate0 is None else round(float(s.rate0), 4),
                    "share": round(float(s.share1), 6),
                    "against_share": round(float(s.share0), 6),
                    "rate_part": rate,
                    "mix_part": mix,
                    "contribution": round(rate + mix, 4),
                    "too_small": s.small,
                    "grouped": list(s.members),
                }
                for s, (rate, mix) in zip(self.slices, parts, strict=True)
            ],
            "notes": self.notes,
        }


def rounded_to_sum(parts: list[Fraction], total: Fraction, decimals: int) -> list[float]:
    """Round ``parts`` to ``decimals`` so that they sum exactly to ``total`` rounded (largest remainder)."""
    scale = 10**decimals
    target = round(total * scale)
    floors = [math.floor(p * scale) for p in parts]
    remainders = sorted(range(len(parts)), key=lambda i: parts[i] * scale - floors[i], reverse=True)
    for i in remainders[: target - sum(floors)]:
        floors[i] += 1
    return [units / scale for units in floors]


def decompose(
    counts0: dict[str, tuple[int, int]], counts1: dict[str, tuple[int, int]], min_events: int = 0
) -> tuple[list[Slice], Fraction]:
    """Shift-share split of V1 − V0 over slices, exact (DECISIONS.md §16).

    ``counts`` map a slice to (good, total) in each period. With shares s = n_i / N and
    rates r = 100 g_i / n_i, the pooled value is V = Σ s_i r_i and

        rate_i = (s0_i + s1_i) / 2 × (r1_i − r0_i)
        mix_i  = ((r0_i + r1_i) / 2 − (V0 + V1) / 2) × (s1_i − s0_i)

    which sum exactly to V1 − V0 (Σ Δs_i = 0 lets the mix part be measured from the mean
    value, so a growing slice that runs below average pulls the total down). A slice in
    one period only takes its rate from the other period: its rate part is 0 and all of
    its contribution is mix. Slices with fewer than ``min_events`` in both periods are
    grouped into one "Small slices" slice before splitting.
    """
    total0 = sum(t for _, t in counts0.values())
    total1 = sum(t for _, t in counts1.values())
    if not total0 or not total1:
        raise CannotExplain("one of the two periods has no counted events")
    names = sorted(set(counts0) | set(counts1))
    small = [n for n in names if max(counts0.get(n, (0, 0))[1], counts1.get(n, (0, 0))[1]) < min_events]
    groups = [(n, (n,), False) for n in names if n not in small]
    if len(small) > 1:
        groups.append((f"{SMALL_GROUP} ({len(small)})", tuple(small), True))
    elif small:  # one small slice alone is not grouped, but is still too small to judge
        groups.append((small[0], (small[0],), True))
    value0 = Fraction(100 * sum(g for g, _ in counts0.values()), total0)
    value1 = Fraction(100 * sum(g for g, _ in counts1.values()), total1)
    mean_value = (value0 + value1) / 2
    slices = []
    for name, keys, too_small in groups:
        good0 = sum(counts0.get(k, (0, 0))[0] for k in keys)
        n0 = sum(counts0.get(k, (0, 0))[1] for k in keys)
        good1 = sum(counts1.get(k, (0, 0))[0] for k in keys)
        n1 = sum(counts1.get(k, (0, 0))[1] for k in keys)
        share0, share1 = Fraction(n0, total0), Fraction(n1, total1)
        rate0 = Fraction(100 * good0, n0) if n0 else None
        rate1 = Fraction(100 * good1, n1) if n1 else None
        # A slice missing from a period keeps the other period's rate: no rate change, all mix.
        r0 = rate0 if rate0 is not None else rate1
        r1 = rate1 if rate1 is not None else rate0
        rate_part = (share0 + share1) / 2 * (r1 - r0)
        mix_part = ((r0 + r1) / 2 - mean_value) * (share1 - share0)
        members = keys if len(keys) > 1 else ()
        slices.append(
            Slice(name, good0, n0, good1, n1, share0, share1, rate0, rate1, rate_part, mix_part, too_small, members)
        )
    return slices, value1 - value0
