"""The bare page again, at a page's address (``/bare_subpage``) rather than the root.

Every Floorline page but Weekly review is served at an address of its own, and on a fresh load there
Streamlit's front end first asks ``/<page>/_stcore/health`` (a 404) and only about 0.1 s later the
root's (streamlit/streamlit#7074): a wait no page's own code can shorten, which the app's ``serve.py``
removes. Served plainly, this page still pays it: ``browser_benchmark.py`` measures it beside the bare
page at the root, so the wait is shown on its own line.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "bare_page.py"))
