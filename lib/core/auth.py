"""Who is signed in, and what they may change.

Sign-in is *configured* when ``.streamlit/secrets.toml`` has an ``[auth]`` table (Streamlit's
own ``st.login`` / ``st.user``, OIDC). Then signed-out visitors see only a sign-in screen,
only addresses from ``[floorline] allowed_domains`` get in, and only ``[floorline] editors``
(addresses, or ``@domain`` entries) may upload, roll back, or edit workgroups, OKRs and
settings; everyone else who gets in is a viewer. Without ``[auth]`` the app runs open:
everyone is an editor, and the sidebar says so.

The role is checked where data changes — ``lib.store.database``, ``lib.workgroups`` and ``lib.okrs``
call ``require_editor`` — not only by hiding buttons. Each page run records its principal
(``set_principal``); a write from a run without one, inside a server where sign-in is
configured, is refused too. The command line runs as the machine's user, as an editor.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from lib.core.errors import PermissionDenied

EDITOR = "editor"
VIEWER = "viewer"


@dataclass(frozen=True)
class Principal:
    email: str
    role: str
    signed_in: bool

    @property
    def can_edit(self) -> bool:
        return self.role == EDITOR


OPEN_PRINCIPAL = Principal("unknown", EDITOR, signed_in=False)

_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("floorline_principal", default=None)
_sign_in_required = False  # set by lib.ui.page in a server whose secrets configure sign-in


@dataclass(frozen=True)
class AccessPolicy:
    configured: bool
    allowed_domains: tuple[str, ...]
    editors: tuple[str, ...]

    @classmethod
    def from_secrets(cls, secrets) -> AccessPolicy:
        """Read the policy from ``st.secrets`` (or any mapping shaped like it)."""
        configured = "auth" in secrets
        section = secrets.get("floorline", {}) if configured else {}
        domains = tuple(d.lower().lstrip("@") for d in section.get("allowed_domains", ()))
        editors = tuple(e.lower() for e in section.get("editors", ()))
        return cls(configured, domains, editors)

    def domain_allowed(self, email: str) -> bool:
        if not self.allowed_domains:
            return True
        return email.lower().rpartition("@")[2] in self.allowed_domains

    def role_of(self, email: str) -> str:
        address = email.lower()
        domain = "@" + address.rpartition("@")[2]
        return EDITOR if address in self.editors or domain in self.editors else VIEWER


def set_principal(principal: Principal) -> None:
    _current.set(principal)


def actor(default: str | None = None) -> str:
    """The name to record with a change: the signed-in address, else what the caller knows."""
    principal = _current.get()
    if principal is not None and principal.signed_in:
        return principal.email
    return default or "unknown"


def require_sign_in() -> None:
    """Called by the server's pages when sign-in is configured: from then on a write from a run that
    recorded no principal is refused, in this process, rather than taken as the command line's."""
    global _sign_in_required
    _sign_in_required = True


def require_editor(action: str) -> None:
    """Raise PermissionDenied unless the current principal may change data."""
    principal = _current.get()
    if principal is None:
        if _sign_in_required:
            raise PermissionDenied(f"sign in as an editor to {action}")
        return
    if not principal.can_edit:
        raise PermissionDenied(f"{principal.email} may view Floorline but not {action}; ask an editor")
