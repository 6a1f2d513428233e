"""Who is signed in, and what they may change.

Sign-in is *configured* when ``.streamlit/secrets.toml`` has an ``[auth]`` table (Streamlit's
own ``st.login`` / ``st.user``, OIDC). Then signed-out visitors see only a sign-in screen,
only an address the identity provider vouches for gets in (``admit``: ``email_verified`` true, one
well-formed mailbox), only from ``[floorline] allowed_domains``, and only ``[floorline] editors``
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
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import idna

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


class SignInRefused(Exception):
    """The identity provider's claims do not vouch for one well-formed address: the message says why."""


# A local part as mail systems write them (RFC 5322 dot-atom): ASCII letters, digits and these marks, or
# letters and digits of any script (RFC 6531); dots only between characters. Quoted local parts are refused.
LOCAL_PART = re.compile(r"(?:[\w!#$%&'*+/=?^`{|}~-]+)(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*")
MAX_LOCAL_PART, MAX_ADDRESS = 64, 254


def normalise_domain(domain: str) -> str:
    """A domain as mail routes it: IDNA 2008 with UTS 46 mapping (case, full-width forms), in ASCII
    (``Bücher.Example`` → ``xn--bcher-kva.example``). ValueError when it is not a host name of two or more labels."""
    try:
        ascii_domain = idna.encode(domain, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise ValueError(f"its domain is not a valid host name ({error})") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or "" in labels:
        raise ValueError("its domain is not a host name of two or more labels")
    if labels[-1].isdecimal():
        raise ValueError("its domain is an IP address, not a host name")
    return ascii_domain.lower()


def normalise_address(address: str) -> str:
    """One well-formed mailbox, its local part in lower case and its domain normalised; else ValueError.

    Refused: any control, format (zero-width, bidi), private-use, unassigned or space character; not
    exactly one ``@``; an empty, over-long or oddly dotted local part; a domain IDNA does not accept.
    ``Lead@Bücher.Example`` → ``lead@xn--bcher-kva.example``.
    """
    odd = [char for char in address if unicodedata.category(char)[0] in "CZ"]
    if odd:
        raise ValueError(f"it holds a control, format or space character (U+{ord(odd[0]):04X})")
    if address.count("@") != 1:
        raise ValueError(f"it holds {address.count('@')} @ signs, not one")
    local, _, domain = address.partition("@")
    if not local or len(local) > MAX_LOCAL_PART or not LOCAL_PART.fullmatch(local):
        raise ValueError("its part before the @ is not a mailbox name")
    normalised = f"{local.lower()}@{normalise_domain(domain)}"
    if len(normalised) > MAX_ADDRESS:
        raise ValueError(f"it is longer than {MAX_ADDRESS} characters")
    return normalised


def vouched_for(claims: Mapping, provider_omits_email_verified: bool) -> bool:
    """Whether the provider says it checked the address. Only JSON ``true`` counts, and the string
    ``"true"`` (some providers write every claim as a string); ``false``, ``"false"``, ``"0"``, ``1`` or
    anything else does not. An absent claim counts only where the policy says the provider never sends it."""
    if "email_verified" not in claims:
        return provider_omits_email_verified
    verified = claims["email_verified"]
    return verified is True or verified == "true"


def shown_address(email: str) -> str:
    """An address a refusal quotes: cut to 100 characters, each control, format or space character named
    (``ann<U+200B>@gitlab.com``), so what was refused is seen, not hidden or reordered."""
    cut = email if len(email) <= 100 else email[:100] + "…"
    return "".join(f"<U+{ord(char):04X}>" if unicodedata.category(char)[0] in "CZ" else char for char in cut)


def configured_entry(setting: str, entry: str) -> str:
    """An address or ``@domain`` from the secrets (an allowed domain with or without its ``@``), normalised
    as a signed-in address is; ValueError naming it."""
    try:
        if setting == "allowed_domains" or entry.startswith("@"):
            return "@" + normalise_domain(entry.removeprefix("@"))
        return normalise_address(entry)
    except ValueError as error:
        raise ValueError(f"[floorline] {setting} entry “{entry}” cannot be used: {error}") from None


@dataclass(frozen=True)
class AccessPolicy:
    configured: bool
    allowed_domains: tuple[str, ...]
    editors: tuple[str, ...]
    provider_omits_email_verified: bool = False

    @classmethod
    def from_secrets(cls, secrets) -> AccessPolicy:
        """Read the policy from ``st.secrets`` (or any mapping shaped like it), entries normalised as addresses are."""
        configured = "auth" in secrets
        section = secrets.get("floorline", {}) if configured else {}
        domains = tuple(configured_entry("allowed_domains", d)[1:] for d in section.get("allowed_domains", ()))
        editors = tuple(configured_entry("editors", e) for e in section.get("editors", ()))
        omits = section.get("provider_omits_email_verified", False) is True
        return cls(configured, domains, editors, omits)

    def admit(self, claims: Mapping) -> Principal:
        """The principal the provider's claims make, or SignInRefused saying why not: the address must be
        vouched for (``vouched_for``), one well-formed mailbox (``normalise_address``) and from an allowed
        domain; the role is decided on the normalised address."""
        email = claims.get("email")
        if not isinstance(email, str) or not email:
            raise SignInRefused("Your identity provider sent no e-mail address")
        shown = shown_address(email)
        if "email_verified" not in claims and not self.provider_omits_email_verified:
            raise SignInRefused(f"Your identity provider did not say it verified the address {shown}")
        if not vouched_for(claims, self.provider_omits_email_verified):
            raise SignInRefused(f"Your identity provider has not verified the address {shown}")
        try:
            address = normalise_address(email)
        except ValueError as error:
            raise SignInRefused(f"The address {shown} is not one well-formed e-mail address: {error}") from None
        if not self.domain_allowed(address):
            raise SignInRefused(f"{address} is not from a domain allowed to use Floorline")
        return Principal(address, self.role_of(address), signed_in=True)

    def domain_allowed(self, address: str) -> bool:
        """``address`` as ``normalise_address`` returns it."""
        return not self.allowed_domains or address.partition("@")[2] in self.allowed_domains

    def role_of(self, address: str) -> str:
        """``address`` as ``normalise_address`` returns it."""
        domain = "@" + address.partition("@")[2]
        return EDITOR if address in self.editors or domain in self.editors else VIEWER


def set_principal(principal: Principal | None) -> None:
    """None: nobody this run may act for (a widget callback from a visitor the sign-in gate turns away)."""
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
