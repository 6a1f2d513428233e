"""The words for sources and layers: one table each, for every page, note, download and command.

A source is where an export comes from (``lib.reading.shapes.SOURCES``); a layer is the part a source
plays: Explore and dbt are primary, Sisense is secondary (it gets fact-checked against the primary).
"""

from __future__ import annotations

SOURCE_NAMES = {"explore": "Zendesk Explore", "sisense": "Sisense", "dbt": "dbt_zendesk", "zendesk": "Zendesk API"}
# The short names on the data-trust page and its charts, one a side of the comparison.
PRIMARY_NAME = "Explore"
SECONDARY_NAME = "Sisense"
# Which sources a layer holds, as a table's "Source" column says it.
LAYER_SOURCES = {"primary": "Explore / dbt", "secondary": SECONDARY_NAME}
# The part a layer plays, as provenance says it ("Zendesk Explore · primary source").
LAYER_ROLES = {"primary": "primary source", "secondary": "secondary source"}
# The trends page's source control: one entry per ``kpis.LAYERS``, in words (the words also go into the URL).
LAYER_CHOICES = {
    "display": "Explore first",
    "primary": "Explore only",
    "secondary": "Sisense only",
}
