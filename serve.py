"""Serve Floorline: ``streamlit run serve.py`` (with any ``--server.*`` flag ``streamlit run app.py`` takes).

The app is ``app.py`` and ``pages/``, exactly as ``streamlit run app.py`` serves it; this entry adds one
middleware that tells each page where its server is, so a page opened at its own address (a link from
the meeting chat, a bookmark) starts about 0.1 s sooner (lib/ui/serving.py says why).
"""

import streamlit as st
from starlette.middleware import Middleware

from lib.ui.serving import ServerRootInPage

app = st.App("app.py", middleware=[Middleware(ServerRootInPage)])
