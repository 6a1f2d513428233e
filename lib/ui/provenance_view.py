"""The "Where does this number come from?" view, shared by the review, trends and data trust pages.

``show_provenance`` is a dialog a page opens from a button; ``provenance_details`` and
``drill_down_section`` draw the same content inline (the data trust page shows Explore's
and Sisense's side by side). Everything the user or an export typed — file names, names,
forms, groups — goes through ``escape_markdown`` or into a dataframe, never into HTML.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib.core.downloads import safe_csv
from lib.core.kpis import get_kpi
from lib.core.labels import LAYER_ROLES, SOURCE_NAMES
from lib.core.text import escape_markdown, escape_table_cells, format_percent
from lib.metrics import provenance as prov_lib
from lib.metrics.explain import interval_text
from lib.metrics.provenance import Provenance
from lib.ui.explain_view import change_section

STATUS_WORDS = {
    "ok": "above the floor",
    "breach": "at or below the floor",
    "partial": "partial week, still moving",
    "gap": "no figure",
    "unknown": "cannot be computed",
}


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def value_line(prov: Provenance, floor: float) -> str:
    value = prov.value
    if value.value is None:
        return f"**No value** · {escape_markdown(value.note or STATUS_WORDS.get(value.status, value.status))}"
    counts = (
        f" · {value.good:,} good of {value.total:,} counted · {interval_text(value.good, value.total)}"
        if value.good is not None and value.total
        else ""
    )
    return f"**{format_percent(value.value, floor)}**{counts} · {STATUS_WORDS.get(value.status, value.status)}"


def upload_markdown(upload: prov_lib.UploadFacts) -> str:
    source = SOURCE_NAMES.get(upload.source, upload.source)
    demo = " · demo data" if upload.is_demo else ""
    return (
        f"**Upload {upload.id}**: {escape_markdown(upload.file_name)}  \n"
        f"{escape_markdown(source)} · {LAYER_ROLES.get(upload.layer, upload.layer)}{demo}  \n"
        f"Uploaded {upload.uploaded_at:%d %b %Y %H:%M} UTC by {escape_markdown(upload.uploaded_by)}"
    )


def segment_frame(prov: Provenance) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Segment": row.segment,
                "In value": "yes" if row.in_value else "no",
                "Rows": f"{row.rows:,}",
                "Good": f"{row.good:,}" if not row.percentage_rows else "—",
                "Counted": f"{row.total:,}" if not row.percentage_rows else "—",
            }
            for row in prov.segment_rows
        ]
    )


def provenance_details(prov: Provenance, floor: float, *, key: str) -> None:
    """The value, its upload, its rows, the rules and the uploads set aside (no drill-down)."""
    st.markdown(value_line(prov, floor))
    upload = prov.upload
    if upload is None:
        st.info("No upload has a figure for this week.", icon=":material/search_off:")
    else:
        st.markdown(upload_markdown(upload))
        st.caption(
            f"SHA-256 {upload.sha256[:16]}…", help=f"The file's SHA-256, which identifies it exactly: {upload.sha256}"
        )
        coverage = "covers the whole week" if prov.complete else "covers only part of the week"
        outside = (
            f" {plural(prov.rows_outside_value, 'more row')} of the same week fall outside the chosen segments."
            if prov.rows_outside_value
            else ""
        )
        st.markdown(
            f"This week's value uses {plural(prov.rows_in_value, 'row')} of this upload, which {coverage}.{outside}"
        )
        if prov.segment_rows:
            # A static table: a few rows need no scrolling grid, and it is far cheaper for the browser to draw.
            st.table(escape_table_cells(segment_frame(prov)), hide_index=True)  # cells are Markdown: escaped
            # The forms under the table, not in a column: in half the page's width a Forms column was cut off.
            st.caption(
                "Forms: "
                + "; ".join(f"{row.segment}: {escape_markdown(row.forms or 'none')}" for row in prov.segment_rows)
            )
        ignored = ", ".join(f"{count:,} {reason}" for reason, count in upload.ignored_reasons.items())
        st.caption(
            f"Whole upload: {upload.rows_read:,} rows read, {upload.rows_used:,} used, "
            f"{upload.rows_ignored:,} ignored{': ' + escape_markdown(ignored) if ignored else ''}. "
            "Ignored rows carry no week, so they are counted per upload."
        )
    with st.expander(f"Rules applied ({len(prov.rules)})", expanded=False):
        st.markdown(
            "\n".join(f"- {escape_markdown(rule.text)}  \n  *{escape_markdown(rule.reference)}*" for rule in prov.rules)
        )
    if prov.set_aside:
        st.markdown("**Other uploads with this week**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Upload": other.upload.id,
                        "File": other.upload.file_name,
                        "Source": SOURCE_NAMES.get(other.upload.source, other.upload.source),
                        "Uploaded (UTC)": other.upload.uploaded_at,
                        "By": other.upload.uploaded_by,
                        "Why it is not this value": other.reason,
                    }
                    for other in prov.set_aside
                ]
            ),
            hide_index=True,
            width="stretch",
            key=f"{key}_set_aside",
            column_config={"Uploaded (UTC)": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
        )


def drill_down_section(con, prov: Provenance, *, key: str, allow_download: bool = True) -> None:
    """The breached targets or Bad ratings behind the value, safe to share unless switched off."""
    what = get_kpi(prov.kpi).family.bad_events
    safe = st.toggle(
        "Safe to share",
        value=True,
        key=f"{key}_safe",
        help="On: ticket IDs and row numbers are hidden, so the screen can be shared in a meeting.",
    )
    detail = prov_lib.drill_down(con, prov, safe=safe)
    if not detail.available:
        st.info(escape_markdown(detail.note), icon=":material/info:")
        return
    value = prov.value
    check = ""
    if value.good is not None and value.total:
        check = f" ({value.total:,} counted − {value.good:,} good = {value.total - value.good:,})"
    st.markdown(f"**{detail.total:,} {what}** behind this value{check}.")
    if not detail.total:
        return
    if not safe:
        st.warning(
            "Ticket IDs are showing: switch “Safe to share” back on before sharing the screen.",
            icon=":material/visibility:",
        )
    counts_column, rows_column = st.columns([1, 2.6], gap="medium")
    with counts_column:
        by_label = st.selectbox("Count them by", list(prov_lib.BREAKDOWNS), key=f"{key}_breakdown")
        counts = prov_lib.drill_down_breakdown(con, prov, prov_lib.BREAKDOWNS[by_label])
        st.dataframe(
            pd.DataFrame(counts, columns=[by_label, what.capitalize()]),
            hide_index=True,
            width="stretch",
            key=f"{key}_counts",
        )
    with rows_column:
        frame = pd.DataFrame(detail.rows, columns=list(detail.columns))
        frame.columns = detail.labels
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            key=f"{key}_rows",
            column_config={"Date": st.column_config.DateColumn(format="ddd D MMM")},
        )
        if detail.note:
            st.caption(detail.note)
    if allow_download:
        st.download_button(
            f"Download these {what} (CSV)",
            safe_csv(frame),
            file_name=f"{prov.kpi.lower()}-{prov.week.isoformat()}-{what.replace(' ', '-').lower()}.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"{key}_download",
            on_click="ignore",
        )


@st.dialog("Where does this number come from?", width="large", icon=":material/manage_search:")
def show_provenance(
    ctx, kpi: str, week: dt.date, segments=None, layer: str = "display", *, region: str | None = None
) -> None:
    """Open from a button: ``if st.button(...): show_provenance(ctx, "FRT", week)``.

    ``segments`` (default: the combined scope), ``layer`` and ``region`` are those the page
    shows the value for, so the dialog explains exactly that number.
    """
    # A cursor of the dialog's own: the dialog reruns on its own, after the page's run is over.
    with ctx.con.cursor() as con:
        prov = prov_lib.provenance(con, ctx.settings, kpi, week, segments, layer, region=region)
        where = f" · {escape_markdown(region)}" if region else ""
        st.markdown(f"#### {kpi} · {escape_markdown(prov.scope_label)}{where} · week of {week:%d %b %Y}")
        provenance_details(prov, ctx.settings.floors[kpi], key=f"provenance_{kpi}")
        with st.expander("Why is this number different from the week before?", icon=":material/waterfall_chart:"):
            change_section(
                ctx, con, kpi, week, layer=layer, region=region, segments=prov.segments, key=f"why_{kpi}_dialog"
            )
        st.markdown(f"##### The {get_kpi(kpi).family.bad_events} behind it")
        drill_down_section(con, prov, key=f"provenance_{kpi}", allow_download=not ctx.presentation)
