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


# babel/polyglossia names (BibLaTeX's `langid`) that are not plain English language names.
BABEL = {
    "american": "en-US", "usenglish": "en-US", "british": "en-GB", "ukenglish": "en-GB",
    "australian": "en-AU", "canadian": "en-CA", "newzealand": "en-NZ", "ngerman": "de",
    "german": "de", "naustrian": "de-AT", "austrian": "de-AT", "nswissgerman": "de-CH",
    "swissgerman": "de-CH", "brazil": "pt-BR", "brazilian": "pt-BR", "portuges": "pt",
    "acadian": "fr-CA", "canadien": "fr-CA", "francais": "fr", "frenchb": "fr", "bahasa": "id",
    "norsk": "nb", "nynorsk": "nn", "magyar": "hu", "slovene": "sl", "serbianc": "sr-Cyrl",
}
TO_BABEL = {"en": "english", "en-US": "american", "en-GB": "british", "en-AU": "australian",
            "en-CA": "canadian", "en-NZ": "newzealand", "de": "ngerman", "de-AT": "naustrian",
            "de-CH": "nswissgerman", "pt-BR": "brazilian", "fr-CA": "acadian", "nb": "norsk",
            "nn": "nynorsk"}


def normalize_language(value: str) -> str:
    """A BCP 47 tag: `english` -> `en`, `american` -> `en-US`, `en-us` -> `en-US`.

    What is neither a tag nor a language's name is kept as given: a real library's language
    field is free text, and kb does not drop what it cannot read.
    """
    import langcodes

    text = " ".join(value.split())
    if text.lower() in BABEL:
        return BABEL[text.lower()]
    if langcodes.tag_is_valid(text):
        return str(langcodes.standardize_tag(text))
    try:
        return str(langcodes.find(text))
    except LookupError:
        return text


def babel_name(tag: str) -> str:
    """The `langid` BibLaTeX (babel, polyglossia) understands for a BCP 47 tag, else the tag."""
    if tag in TO_BABEL:
        return TO_BABEL[tag]
    import langcodes

    if not langcodes.tag_is_valid(tag):
        return tag
    language = langcodes.Language.get(tag)
    if language.territory or language.script:
        return tag
    name = language.language_name("en").lower()
    return name if name.isalpha() and normalize_language(name) == tag else tag
