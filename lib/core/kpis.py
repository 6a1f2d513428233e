"""The KPIs, each written once: what a page, a reader, a rule or a sentence needs to know about one.

Adding a KPI is one entry in ``REGISTRY`` (DECISIONS.md, "Where a KPI is defined"): its settings
defaults, the metric names an export uses for it, its event words and its counting rule all come
from here. Everything reads the registry when it runs, never a copy taken at import, and a KPI
the registry does not hold is an error (``UnknownKpi``), never a guessed default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """How a KPI's events are counted: SLA targets met or missed, or survey ratings."""

    key: str  # "sla": read from SLA exports; "survey": from satisfaction exports
    events: str  # what one counted event is called: "Counted targets in the breach weeks: ..."
    good: str  # the export's word for a good outcome
    bad: str  # ... and for a bad one
    bad_events: str  # "the breached targets behind the figure"


SLA_TARGET = Family("sla", events="targets", good="Achieved", bad="Breached", bad_events="breached targets")
SURVEY = Family("survey", events="ratings", good="Good", bad="Bad", bad_events="Bad ratings")


@dataclass(frozen=True)
class Kpi:
    key: str  # as pages, links, the command line and the database name it
    name: str
    family: Family
    floor: float  # default; a database may override it (settings table, key "floors")
    target: float  # default; key "targets"
    # The metric names an export may use for it, compared by key (letters only, any case): 'First reply
    # time' and 'first_reply_time' are one name. The first is the name Zendesk Explore prints.
    metric_names: tuple[str, ...]
    counting: str  # the counting rule, in words, as the provenance panel says it

    @property
    def metric_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(metric_key(name) for name in self.metric_names))


def metric_key(text: str) -> str:
    """Lower-case letters only, as lib/reading/rules.py ``key`` computes it in SQL."""
    return re.sub("[^a-z]", "", text.lower())


# In the order every page, table and download lists them.
REGISTRY: dict[str, Kpi] = {
    kpi.key: kpi
    for kpi in (
        Kpi(
            "FRT",
            "First reply time SLA",
            SLA_TARGET,
            floor=93.0,
            target=95.0,
            metric_names=("First reply time", "FRT", "First reply time SLA", "First response time", "First reply"),
            counting="One First reply time SLA target is one event: Achieved is good; Achieved + Breached are "
            "counted. Active targets and other SLA metrics are not counted.",
        ),
        Kpi(
            "NRT",
            "Next reply time SLA",
            SLA_TARGET,
            floor=83.0,
            target=85.0,
            metric_names=("Next reply time", "NRT", "Next reply time SLA", "Next response time", "Next reply"),
            counting="One Next reply time SLA target is one event (a ticket can have many): Achieved is good; "
            "Achieved + Breached are counted. Active targets and other SLA metrics are not counted.",
        ),
        Kpi(
            "SSAT",
            "Support satisfaction",
            SURVEY,
            floor=93.0,
            target=95.0,
            metric_names=(
                "SSAT",
                "CSAT",
                "Satisfaction",
                "Support satisfaction",
                "Customer satisfaction",
                "Satisfaction rating",
            ),
            counting="One answered survey is one event: Good is good; Good + Bad are counted. "
            "Offered, Unoffered and empty ratings are not counted.",
        ),
    )
}


class UnknownKpi(KeyError):
    """A KPI key the registry does not hold."""

    def __init__(self, key: object):
        self.message = f"unknown KPI {key!r}; expected one of {', '.join(kpi_keys())}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


def kpi_keys(family: Family | None = None) -> tuple[str, ...]:
    """Every KPI's key in order, or those of one family."""
    return tuple(key for key, kpi in REGISTRY.items() if family is None or kpi.family == family)


def get_kpi(key: str) -> Kpi:
    try:
        return REGISTRY[key]
    except KeyError:
        raise UnknownKpi(key) from None


def as_written(text: str) -> str:
    """A KPI key typed in any case, as the registry writes it ('fullrt' → 'FullRT'); other text unchanged."""
    return {key.lower(): key for key in REGISTRY}.get(text.lower(), text)


def survey_kpi() -> Kpi:
    """The KPI a satisfaction export counts: a survey has no metric column to tell two apart."""
    surveys = kpi_keys(SURVEY)
    if len(surveys) != 1:
        raise ValueError(f"a satisfaction export counts toward one survey KPI; the registry has {len(surveys)}")
    return REGISTRY[surveys[0]]


def default_floors() -> dict[str, float]:
    return {key: kpi.floor for key, kpi in REGISTRY.items()}


def default_targets() -> dict[str, float]:
    return {key: kpi.target for key, kpi in REGISTRY.items()}


def said_as_list(words: tuple[str, ...] | list[str], last: str = "or") -> str:
    """('FRT', 'NRT', 'SSAT') → 'FRT, NRT or SSAT'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"
