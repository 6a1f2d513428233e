"""What every page shares: page config, the database, presentation mode, freshness.

Each page calls ``setup_page`` first and gets a ``PageContext``. Nothing else in a page
talks to the database directly: it calls ``lib`` functions with ``ctx.con``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.core import auth, links
from lib.core import settings as settings_module
from lib.core.errors import DatabaseLocked
from lib.core.labels import SOURCE_NAMES
from lib.core.settings import PROJECT_ROOT, Settings
from lib.core.text import escape_markdown
from lib.metrics import provenance
from lib.store import database as store
from lib.store import figures
from lib.store import upload_records as records
from lib.ui import navigation
from lib.ui.cache import DataAt, by_data_version
from lib.ui.view_links import view_query
from lib.uploads import flow as uploads

# Presentation mode: larger type everywhere, for a shared screen. Static CSS only: no user text ever
# reaches this HTML. Streamlit's header stays (it holds the button that reopens the sidebar and the
# menu with the theme); the page's own bar at the top (page switcher, exit) keeps the presenter free.
# A dataframe's canvas takes its type and row height from the root font size when it is first drawn, so the
# 20 px here enlarges it too (a CSS zoom did, but left grids wider than the column and Chromium redrew scrolled
# rows unzoomed). A grid whose code loads before this style arrives keeps the normal size: smaller, never cut.
# Read-only tables with long text are static tables in this mode (lib/ui/tables.py), which wrap.
PRESENTATION_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stHeading"] h1 { font-size: 2.1rem; padding-top: 0; }
  [data-testid="stHeading"] h2 { font-size: 1.55rem; }
  [data-testid="stMetricValue"] { font-size: 2.4rem; }
  [data-testid="stMetricLabel"] p { font-size: 1.05rem; }
  [data-testid="stDecoration"] { display: none; }
  .block-container { padding-top: 3.6rem; }
  .st-key-floorline_presentation_bar {
    position: fixed; top: 0.45rem; right: 3.5rem; width: auto; z-index: 999991;
  }
</style>
"""
# On every page: a metric's label wraps instead of ending in "…" in a narrow column (1280 px, four metrics
# in a row), and captions are readable. Static CSS only.
LAYOUT_CSS = """
<style>
  /* Streamlit's caption grey is 3.9:1 on white, under the 4.5:1 text needs; the text colour, faded, is over 6:1
     on both themes. */
  [data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.8; }
  [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
    white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  }
</style>
"""
PRESENT_QUERY = {"present": "1"}


@dataclass
class PageContext:
    con: object  # a DuckDB cursor of its own for this script run
    database: str  # the database file's path: with data_version, the key of every cached figure
    settings: Settings
    data_version: int
    presentation: bool
    is_demo: bool
    principal: auth.Principal

    @property
    def user(self) -> str:
        """The name recorded with a change: the signed-in address, or 'unknown' when the app runs open."""
        return self.principal.email

    @property
    def can_edit(self) -> bool:
        return self.principal.can_edit


@st.cache_resource(show_spinner=False)
def shared_connection(db_path: str):
    """One connection per database for the whole server; every run takes its own cursor from it."""
    con = store.connect(db_path)
    # Checked under the write lock: replicas starting together on one PostgreSQL load the demo once.
    with store.write_lock(con):
        if not figures.has_uploads(con):
            from lib.demo.load import load_demo

            load_demo(con, end=dt.date.today())
    # The app is the database's one writer: a scheduled pull finding the file held hands itself to this
    # process, which pulls with the app's own [zendesk] secrets. Imported here, once per server, so a
    # page's run does not load the HTTP client.
    from lib.ui import zendesk_view
    from lib.zendesk import handoff

    handoff.serve(con, zendesk_view.configured)
    return con


@st.cache_resource(show_spinner=False)
def sweep_staging_at_start() -> None:
    """Once per server start: staged uploads older than a day were abandoned (a killed server, say)."""
    uploads.remove_stale_staged_files(uploads.staging_dir())


@by_data_version
def stored_state(con) -> tuple[Settings, bool]:
    """The settings and whether the figures are demo data; both change only with the data version."""
    return store.load_settings(con), records.has_demo_data(con)


freshness = by_data_version(provenance.freshness)


def configured_policy() -> auth.AccessPolicy:
    """The policy the secrets set; ValueError for an editors or allowed_domains entry no address could match."""
    try:
        return auth.AccessPolicy.from_secrets(st.secrets)
    except FileNotFoundError:  # no secrets.toml at all: sign-in is not configured
        return auth.AccessPolicy(configured=False, allowed_domains=(), editors=())


def access_policy() -> auth.AccessPolicy:
    try:
        return configured_policy()
    except ValueError as wrong:  # nobody gets in
        st.title("Floorline")
        st.error(f"Sign-in is set up wrongly: {escape_markdown(wrong)}", icon=":material/block:")
        st.stop()


def sign_in_gate(policy: auth.AccessPolicy) -> auth.Principal:
    """The principal for this run; shows only a sign-in screen (and stops) to anyone not let in."""
    if not policy.configured:
        return auth.OPEN_PRINCIPAL
    auth.require_sign_in()
    if not st.user.is_logged_in:
        st.title("Floorline")
        st.write("Support KPIs for the leadership team. Sign in with your company account to continue.")
        st.button("Sign in", icon=":material/login:", on_click=st.login, type="primary")
        st.stop()
    try:
        return policy.admit(st.user)
    except auth.SignInRefused as refused:
        st.title("Floorline")
        st.error(
            f"{escape_markdown(refused)}. Sign out, then sign in with your company account, or ask whoever runs "
            "Floorline for access.",
            icon=":material/block:",
        )
        st.button("Sign out", on_click=st.logout)
        st.stop()


def callback_principal() -> auth.Principal | None:
    """Who a widget callback acts for, decided as ``sign_in_gate`` decides it but with no screen to show:
    the same policy and only the identity provider's claims (``AccessPolicy.admit``). None for anyone the
    gate turns away (signed out, not vouched for, wrong domain, sign-in set up wrongly)."""
    try:
        policy = configured_policy()
    except ValueError:
        auth.require_sign_in()
        return None
    if not policy.configured:
        return auth.OPEN_PRINCIPAL
    auth.require_sign_in()
    if not st.user.is_logged_in:
        return None
    try:
        return policy.admit(st.user)
    except auth.SignInRefused:
        return None


def act_for_signed_in() -> None:
    """Call before any write a widget callback makes (``Drafts.run`` does). Streamlit runs callbacks at the
    start of the rerun, before the page script's ``setup_page`` has recorded the principal, so without this
    a signed-in editor's write is refused; and a principal left from an earlier run is never trusted."""
    auth.set_principal(callback_principal())


def link_parameter(name: str, read, expected: str):
    """The page address's ``name`` as ``read`` makes it (a function of the text, None when it cannot), or None.

    Every parameter a page reads itself comes through here: a value it cannot read (``?wg=²``, a
    100,000-digit id, an unknown quarter) is dropped from the address with a quiet notice that
    quotes it, escaped and cut short, and says what was expected; it never raises.
    """
    text = st.query_params.get(name)
    if text is None:
        return None
    value = read(text) if len(text) <= links.MAX_LINK_VALUE else None
    if value is None:
        st.query_params.pop(name, None)
        say_left_out(name, text, expected)
    return value


def say_left_out(name: str, text: str, expected: str) -> None:
    """The quiet notice for a link value a page cannot read: quoted escaped and cut short, with what was expected."""
    st.info(
        escape_markdown(f"The link's {name} “{links.shown_link_value(text)}” is not {expected}; it is left out."),
        icon=":material/link_off:",
    )


def link_choice(name: str, choices) -> str | None:
    """A parameter that must be exactly one of ``choices`` (as a widget bound to the address reads it)."""
    return link_parameter(name, lambda text: text if text in choices else None, "one of " + ", ".join(choices))


def link_choices(name: str, choices) -> None:
    """Say which of the address's ``name`` values are not among ``choices``, for a widget bound to the address.

    A multiselect, pills, tabs or a labelled radio bound with ``bind="query-params"`` reads the address
    itself and drops a value that is not one of its choices without a word; a wrong link then looks like
    the data. ``choices`` holds every spelling the widget accepts (its values and their shown labels).
    The widget still does the dropping; this only says so, quoted escaped and cut short, never raising.
    """
    allowed = {str(choice) for choice in choices}
    unknown = [text for text in st.query_params.get_all(name) if text not in allowed]
    if unknown:
        say_left_out(name, unknown[0], "one of the choices")


def presentation_requested() -> bool:
    return st.query_params.get("present", "0") in ("1", "true", "yes")


def set_presentation(on: bool) -> None:
    if on:
        st.query_params.update(PRESENT_QUERY)
    else:
        st.query_params.pop("present", None)


APP_SCRIPT = PROJECT_ROOT / navigation.ENTRY_SCRIPT


def served_as_app() -> bool:
    """False when a page runs on its own, as a test may run it: its links to other pages would lead nowhere."""
    run = get_script_run_ctx()
    return run is not None and Path(run.main_script_path).resolve() == APP_SCRIPT


def show_presentation_bar(title: str, ctx: PageContext) -> None:
    """On screen in presentation mode, in the header's row: a compact page switcher and the way out, so the
    presenter never edits the URL; and, on demo data, a badge that says so in the little room there is."""
    with st.container(horizontal=True, vertical_alignment="center", key="floorline_presentation_bar", width="content"):
        if ctx.is_demo:
            st.badge("Demo data: generated, not real", icon=":material/science:", color="blue")
        with st.popover(title, icon=":material/menu:", help="Go to another page, staying in presentation mode"):
            for entry in navigation.pages_for(ctx.can_edit) if served_as_app() else ():
                st.page_link(entry.script, label=entry.label, icon=entry.icon, query_params=view_query())
        st.button(
            "Exit presentation",
            icon=":material/close_fullscreen:",
            key="floorline_exit_presentation",
            on_click=set_presentation,
            args=(False,),
        )


def setup_page(title: str, icon: str) -> PageContext:
    """Call first on every page: sets the page up and returns what it needs."""
    presentation = presentation_requested()
    st.set_page_config(
        page_title=f"{title} · Floorline",
        page_icon=icon,
        layout="wide",
        initial_sidebar_state="collapsed" if presentation else "auto",
    )
    principal = sign_in_gate(access_policy())
    auth.set_principal(principal)
    db_path = str(settings_module.database_path())
    sweep_staging_at_start()
    try:
        con = shared_connection(db_path).cursor()
    except DatabaseLocked as locked:  # not cached: the next run tries again
        st.title("Floorline cannot open its data", anchor=False)
        st.error(escape_markdown(locked), icon=":material/lock:")
        st.button("Try again", icon=":material/refresh:", key="floorline_retry_database", type="primary")
        st.stop()
    data_version = store.data_version(con)  # the one query every run makes: it keys all the caches
    settings, is_demo = stored_state(DataAt(con, db_path, data_version))
    ctx = PageContext(
        con=con,
        database=db_path,
        settings=settings,
        data_version=data_version,
        presentation=presentation,
        is_demo=is_demo,
        principal=principal,
    )
    with st.sidebar:
        show_navigation(ctx)
        toggled = st.toggle("Presentation mode", value=presentation, help="Larger type for a shared screen")
        if toggled != presentation:
            set_presentation(toggled)
            st.rerun()
        show_freshness(ctx)
        show_access(ctx)
    st.html(LAYOUT_CSS)
    if presentation:
        st.html(PRESENTATION_CSS)
        show_presentation_bar(title, ctx)
    elif ctx.is_demo:
        replace = "Upload your exports on the Upload page" if ctx.can_edit else "An editor can upload your exports"
        st.info(
            f"Demo data: these figures are generated, not real. {replace} to replace them.", icon=":material/science:"
        )
    return ctx


def show_navigation(ctx: PageContext) -> None:
    """The sidebar's page links, which keep the view (presentation mode, week, KPI, scope). A viewer is not
    offered the pages that are only for changing data."""
    if not served_as_app():
        return
    for entry in navigation.pages_for(ctx.can_edit):
        st.page_link(entry.script, label=entry.label, icon=entry.icon, query_params=view_query())
    st.divider()


def show_access(ctx: PageContext) -> None:
    st.divider()
    if not ctx.principal.signed_in:
        st.caption("Sign-in is not configured: anyone who can open this app can change its data.")
        return
    role = "editor" if ctx.can_edit else "viewer (read only)"
    st.caption(f"Signed in as {escape_markdown(ctx.principal.email)} · {role}")
    st.button("Sign out", on_click=st.logout, key="floorline_sign_out")


def show_freshness(ctx: PageContext) -> None:
    newest, sources = freshness(ctx)
    st.caption("Data freshness")
    if newest is None:
        st.warning("No data yet. Upload exports on the Upload page.", icon=":material/upload_file:")
        return
    data_through = max(source.data_through for source in sources)
    st.markdown(f"**Newest data:** {data_through:%a %d %b %Y}")
    st.markdown(f"**Last upload:** {newest['uploaded_at']:%d %b %Y %H:%M} UTC")
    st.caption(f"{escape_markdown(Path(newest['file']).name)} · by {escape_markdown(newest['uploaded_by'])}")
    today = dt.date.today()
    if len(sources) > 1:
        st.caption(" · ".join(f"{SOURCE_NAMES.get(s.source, s.source)} to {s.data_through:%d %b}" for s in sources))
    for source in sources:
        age = source.age_days(today)
        if age > ctx.settings.stale_after_days:
            st.warning(
                f"{SOURCE_NAMES.get(source.source, source.source)} data is {age} days old.", icon=":material/schedule:"
            )


def week_picker(widget, label: str, options: list[str], *, key: str, param: str, default, **kwargs):
    """A week picker (``selectbox``, or ``select_slider`` for a range) kept in the address as ISO weeks.

    ``options`` are ISO weeks; ``default`` is one of them, or a (first, last) pair for a range. A
    link may name its weeks in either spelling (``2026-09-14`` or ``14 Sep 2026``); the address is
    rewritten in ISO, and a week with no data is said so above the charts, not dropped silently.
    Widgets bound with ``bind="query-params"`` would write their shown label instead.
    """
    state = st.session_state
    ranged = isinstance(default, tuple)
    written, notes_key = f"floorline_link_{param}", f"floorline_link_notes_{param}"
    link = st.query_params.get_all(param)
    if link and link != state.get(written):  # a link from outside, not the address this page last wrote
        weeks, notes = links.resolve_link_weeks(link, [dt.date.fromisoformat(option) for option in options])
        expected = 2 if ranged else 1
        if len(weeks) == expected and not notes:
            chosen = tuple(sorted(links.link_value(week) for week in weeks))
            state[key] = chosen if ranged else chosen[0]
            state[notes_key] = []
        else:
            shown = " to ".join(f"{dt.date.fromisoformat(iso):%d %b %Y}" for iso in (default if ranged else [default]))
            notes = notes or [f"The link needs {expected} weeks for “{label}”; it names {len(link)}."]
            state[notes_key] = [*notes, f"Showing {shown} instead."]
            state[key] = default
    current, previous_default = state.get(key), state.get(f"floorline_link_default_{param}")
    if (
        current is None
        or any(iso not in options for iso in (current if ranged else [current]))
        or current == previous_default  # the default moved (a newer week arrived): follow it
    ):
        state[key] = default
    state[f"floorline_link_default_{param}"] = default
    value = widget(label, options, key=key, on_change=state.pop, args=(notes_key, None), **kwargs)
    if value == default:
        st.query_params.pop(param, None)
        state[written] = []
    else:
        state[written] = list(value) if ranged else [value]
        st.query_params[param] = state[written]
    if state.get(notes_key):
        st.warning(escape_markdown(" ".join(state[notes_key])), icon=":material/link_off:")
    return value
