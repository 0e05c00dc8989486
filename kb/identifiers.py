"""Normal forms of DOIs and URLs, so the same work is never entered twice."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from kb.errors import Invalid

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                 "http://dx.doi.org/", "doi:")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_doi(value: str) -> str:
    """`https://doi.org/10.1000/ABC` and `doi:10.1000/abc` are the same DOI (case-insensitive)."""
    text = value.strip()
    lowered = text.lower()
    for prefix in _DOI_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix):]
            break
    if not _DOI.fullmatch(text):
        raise Invalid("doi", value, "expected a DOI such as 10.1234/abcd")
    return text.lower()


def normalize_url(value: str) -> str:
    """Lower-case scheme and host, drop a default port and a trailing slash; keep the rest."""
    text = value.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise Invalid("url", value, str(exc)) from None
    if parts.scheme.lower() not in ("http", "https", "ftp") or not parts.hostname:
        raise Invalid("url", value, "expected an absolute http(s) URL")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, host, path, parts.query, parts.fragment))
