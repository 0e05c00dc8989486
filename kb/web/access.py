"""Who may use the server: a token printed at start, a signed session cookie, CSRF tokens.

Like Jupyter's: `kb serve` prints `http://HOST:PORT/?token=...`; the first visit with the token
sets a session cookie (HttpOnly, SameSite=Strict) and redirects to the same address without
it. Other users of the machine reach the port too, so 127.0.0.1 is no exception. Sessions are
stateless (a random id signed with a key that lives as long as the server) and each has its
own CSRF token, an HMAC of the id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field


@dataclass
class Access:
    token: str
    read_only: bool = False
    port: int | None = None
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    @property
    def cookie_name(self) -> str:
        # Cookies ignore ports: two servers on one host must not overwrite each other's.
        return f"kb_session_{self.port}" if self.port else "kb_session"

    def _sign(self, purpose: str, value: str) -> str:
        return hmac.new(self.key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def new_session(self) -> str:
        """The cookie's value: a random session id and its signature."""
        session_id = secrets.token_urlsafe(18)
        return f"{session_id}.{self._sign('session', session_id)}"

    def session_of(self, cookie: str | None) -> str | None:
        """The session id a cookie carries, if the signature holds."""
        if not cookie or "." not in cookie:
            return None
        session_id, signature = cookie.rsplit(".", 1)
        expected = self._sign("session", session_id)
        return session_id if hmac.compare_digest(signature, expected) else None

    def csrf_token(self, session_id: str) -> str:
        return self._sign("csrf", session_id)

    def csrf_ok(self, session_id: str | None, given: str | None) -> bool:
        if not session_id or not given:
            return False
        return hmac.compare_digest(given, self.csrf_token(session_id))
