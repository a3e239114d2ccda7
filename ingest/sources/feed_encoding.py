"""A feed's character encoding when the feed does not say it (pure): `settle_encoding`.

feedparser reads a document by its byte-order mark, its XML declaration or the HTTP charset, else
as UTF-8, and when that fails as windows-1252 — so a Windows-1251 or KOI8-R feed that declares
nothing comes out as mojibake (`Êóðñ äîëëàðà`) with nothing but a warning it takes for benign. Here
such a feed's encoding is detected instead, by charset-normalizer (a maintained detector, and
already installed with requests), the document handed to feedparser as UTF-8, and what was
assumed is said, so that the run records it:

- a BOM, or the first bytes of UTF-16/32: feedparser's own reading (nothing to say);
- a declared encoding that Python knows and that decodes the bytes: that one (nothing to say);
- nothing declared (or only names Python does not know) and valid UTF-8: UTF-8, XML's default
  (nothing to say);
- otherwise: the detected encoding, and a note — `no character encoding declared and not UTF-8:
  read as windows-1251 (detected)`, or `declared encoding 'utf-8' does not fit the bytes: read as
  KOI8-R (detected)`. Detection needs text: a feed of a few short titles can be taken for a
  neighbouring code page, which the note then shows.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ingest.sources.feed_entities import declared_encodings, sniff_encoding

_XML_DECLARATION_ENCODING = re.compile(r"""^(\ufeff?<\?xml[^>]*?encoding\s*=\s*)(['"])[^'"]*\2""")
_CHARSET_PARAMETER = re.compile(r"""(charset\s*=\s*)['"]?[^'";\s]*['"]?""", re.IGNORECASE)
FALLBACK = "windows-1252"   # feedparser's own last resort, when detection finds nothing


@dataclass(frozen=True)
class FeedBytes:
    """A feed document as feedparser is to read it: its bytes and HTTP headers (re-encoded as
    UTF-8 and declared so when the encoding had to be detected), and what was assumed (None when
    the feed said it, or is UTF-8)."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    assumed: str | None = None


def settle_encoding(body: bytes, headers: Mapping[str, str]) -> FeedBytes:
    """The document as feedparser is to read it (see the module docstring). `headers`: the HTTP
    response headers, lower-case names."""
    headers = dict(headers)
    if sniff_encoding(body) is not None:
        return FeedBytes(body, headers)
    declared = [(name, _codec(name)) for name in declared_encodings(body, headers)]
    known = [(name, codec) for name, codec in declared if codec is not None]
    if any(_decodes(body, codec) for _, codec in known):
        return FeedBytes(body, headers)
    if not known and _decodes(body, "utf-8"):
        return FeedBytes(body, headers)
    encoding = detect_encoding(body)
    shown = display_name(encoding) + (" (detected)" if encoding != FALLBACK else " (nothing detected)")
    if known:
        why = f"declared encoding {known[0][0]!r} does not fit the bytes"
    elif declared:
        why = f"declared encoding {declared[0][0]!r} is unknown and the bytes are not UTF-8"
    else:
        why = "no character encoding declared and not UTF-8"
    text = body.decode(encoding, errors="replace").lstrip("\ufeff")
    text = _XML_DECLARATION_ENCODING.sub(r"\1\2utf-8\2", text, count=1)
    if "content-type" in headers:
        kind = headers["content-type"]
        headers["content-type"] = (_CHARSET_PARAMETER.sub(r"\1utf-8", kind) if _CHARSET_PARAMETER.search(kind)
                                   else f"{kind}; charset=utf-8")
    return FeedBytes(text.encode("utf-8"), headers, f"{why}: read as {shown}")


def detect_encoding(body: bytes) -> str:
    """The encoding charset-normalizer finds most likely for the bytes (a Python codec name), or
    FALLBACK when it finds none."""
    # imported when needed: most feeds declare their encoding
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    return best.encoding if best is not None else FALLBACK


def display_name(encoding: str) -> str:
    """A codec's name as feeds and HTTP write it: `windows-1251`, `KOI8-R`, `ISO8859-5`."""
    name = codecs.lookup(encoding).name
    if name.startswith("cp125"):
        return "windows-" + name[2:]
    return name.replace("_", "-").upper()


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return True
