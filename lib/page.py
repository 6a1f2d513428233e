"""What every page shares: page config, the database, presentation mode, freshness.

Each page calls ``setup_page`` first and gets a ``PageContext``. Nothing else in a page
talks to the database directly: it calls ``lib`` functions with ``ctx.con``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib import auth, store
from lib import settings as settings_module
from lib.provenance import SOURCE_NAMES, source_freshness
from lib.settings import Settings

# Presentation mode: larger type everywhere, for a shared screen. Static CSS only: no user text ever
# reaches this HTML. Streamlit's header stays (it holds the button that reopens the sidebar and the
# menu with the theme); the page's own bar at the top (page switcher, exit) keeps the presenter free.
# Tables draw on a canvas at a fixed pixel size, so they are zoomed rather than given a font size.
PRESENTATION_CSS = """
<style>
  html, body, [data-testid="stAppViewContainer"] { font-size: 20px; }
  [data-testid="stHeading"] h1 { font-size: 2.1rem; padding-top: 0; }
  [data-testid="stHeading"] h2 { font-size: 1.55rem; }
  [data-testid="stMetricValue"] { font-size: 2.4rem; }
  [data-testid="stMetricLabel"] p { font-size: 1.05rem; }
  [data-testid="stDataFrame"] { zoom: 1.25; max-width: 100%; }
  [data-testid="stDecoration"] { display: none; }
  .block-container { padding-top: 3.6rem; }
  .st-key-floorline_presentation_bar {
    position: fixed; top: 0.45rem; right: 3.5rem; width: auto; z-index: 999991;
  }
</style>
"""
PRESENT_QUERY = {"present": "1"}


@dataclass(frozen=True)
class NavEntry:
    """One page in the sidebar's navigation: its script, the name it goes by, and its icon."""

    script: str
    label: str
    icon: str

    @property
    def url_path(self) -> str:
        """The page's address under the app's root, as Streamlit derives it from the file name."""
        if "/" not in self.script:
            return "/"
        return "/" + re.sub(r"^\d+_", "", Path(self.script).stem)


# Every page, in the order the weekly meeting goes through them. The sidebar draws this list,
# and the page smoke test and the browser benchmark walk it: a new page is added here only.
NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("app.py", "Weekly review", ":material/event_note:"),
    NavEntry("pages/1_KPI_trends.py", "KPI trends", ":material/trending_up:"),
    NavEntry("pages/3_Workgroups.py", "Workgroups", ":material/groups:"),
    NavEntry("pages/4_OKRs.py", "OKRs", ":material/flag:"),
    NavEntry("pages/5_Data_trust.py", "Data trust", ":material/fact_check:"),
    NavEntry("pages/2_Upload.py", "Upload", ":material/upload_file:"),
    NavEntry("pages/6_Change_history.py", "Change history", ":material/history:"),
)


@dataclass
class PageContext:
    con: object  # a DuckDB cursor of its own for this script run
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
    if con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0:
        from lib.demo_loader import load_demo

        load_demo(con, end=dt.date.today())
    return con


@st.cache_data(show_spinner=False)
def stored_state(_con, database: str, data_version: int) -> tuple[Settings, bool]:
    """The settings and whether the figures are demo data; both change only with the data version."""
    del database, data_version  # the cache key
    return store.load_settings(_con), store.has_demo_data(_con)


def access_policy() -> auth.AccessPolicy:
    try:
        return auth.AccessPolicy.from_secrets(st.secrets)
    except FileNotFoundError:  # no secrets.toml at all: sign-in is not configured
        return auth.AccessPolicy(configured=False, allowed_domains=(), editors=())


def sign_in_gate(policy: auth.AccessPolicy) -> auth.Principal:
    """The principal for this run; shows only a sign-in screen (and stops) to anyone not let in."""
    if not policy.configured:
        return auth.OPEN_PRINCIPAL
    if not st.user.is_logged_in:
        st.title("Floorline")
        st.write("Support KPIs for the leadership team. Sign in with your company account to continue.")
        st.button("Sign in", icon=":material/login:", on_click=st.login, type="primary")
        st.stop()
    email = str(st.user.get("email") or "")
    if not email or not policy.domain_allowed(email):
        st.title("Floorline")
        st.error(f"{email or 'This account'} is not from a domain allowed to use Floorline.", icon=":material/block:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return auth.Principal(email, policy.role_of(email), signed_in=True)


def escape_markdown(text: object) -> str:
    """User text shown inside Markdown: every character that Markdown or HTML would act on is escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", str(text))


def presentation_requested() -> bool:
    return st.query_params.get("present", "0") in ("1", "true", "yes")


def set_presentation(on: bool) -> None:
    if on:
        st.query_params.update(PRESENT_QUERY)
    else:
        st.query_params.pop("present", None)


APP_SCRIPT = Path(__file__).resolve().parents[1] / "app.py"


def served_as_app() -> bool:
    """False when a page runs on its own, as a test may run it: its links to other pages would lead nowhere."""
    run = get_script_run_ctx()
    return run is not None and Path(run.main_script_path).resolve() == APP_SCRIPT


def show_navigation(presentation: bool) -> None:
    """The sidebar's page links, from ``NAVIGATION``; in presentation mode they keep it on."""
    if not served_as_app():
        return
    query = PRESENT_QUERY if presentation else None
    for entry in NAVIGATION:
        st.page_link(entry.script, label=entry.label, icon=entry.icon, query_params=query)
    st.divider()


def show_presentation_bar(title: str, is_demo: bool) -> None:
    """On screen in presentation mode, in the header's row: a compact page switcher and the way out, so the
    presenter never edits the URL; and, on demo data, a badge that says so in the little room there is."""
    with st.container(horizontal=True, vertical_alignment="center", key="floorline_presentation_bar", width="content"):
        if is_demo:
            st.badge("Demo data: generated, not real", icon=":material/science:", color="blue")
        with st.popover(title, icon=":material/menu:", help="Go to another page, staying in presentation mode"):
            for entry in NAVIGATION if served_as_app() else ():
                st.page_link(entry.script, label=entry.label, icon=entry.icon, query_params=PRESENT_QUERY)
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
    con = shared_connection(db_path).cursor()
    data_version = store.data_version(con)  # the one query every run makes: it keys all the caches
    settings, is_demo = stored_state(con, db_path, data_version)
    ctx = PageContext(
        con=con,
        settings=settings,
        data_version=data_version,
        presentation=presentation,
        is_demo=is_demo,
        principal=principal,
    )
    with st.sidebar:
        show_navigation(presentation)
        toggled = st.toggle("Presentation mode", value=presentation, help="Larger type for a shared screen")
        if toggled != presentation:
            set_presentation(toggled)
            st.rerun()
        show_freshness(ctx)
        show_access(ctx)
    if presentation:
        st.html(PRESENTATION_CSS)
        show_presentation_bar(title, ctx.is_demo)
    elif ctx.is_demo:
        st.info(
            "Demo data: these figures are generated, not real. Upload your exports on the Upload page to replace them.",
            icon=":material/science:",
        )
    return ctx


@st.cache_data(show_spinner=False)
def freshness(_con, database: str, data_version: int) -> tuple[dict | None, list]:
    """The newest active upload, and per source how recent its data is.

    ``database`` and ``data_version`` are the cache key: a new upload means new freshness.
    """
    del database, data_version
    row = _con.execute(
        """SELECT file_name, uploaded_at, uploaded_by FROM uploads WHERE status = 'active'
           ORDER BY uploaded_at DESC, id DESC LIMIT 1"""
    ).fetchone()
    if not row:
        return None, []
    return {"file": row[0], "uploaded_at": row[1], "uploaded_by": row[2]}, source_freshness(_con)


def show_access(ctx: PageContext) -> None:
    st.divider()
    if not ctx.principal.signed_in:
        st.caption("Sign-in is not configured: anyone who can open this app can change its data.")
        return
    role = "editor" if ctx.can_edit else "viewer (read only)"
    st.caption(f"Signed in as {escape_markdown(ctx.principal.email)} · {role}")
    st.button("Sign out", on_click=st.logout, key="floorline_sign_out")


def show_freshness(ctx: PageContext) -> None:
    newest, sources = freshness(ctx.con, str(settings_module.database_path()), ctx.data_version)
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
