"""Refusing feeds that declare XML entities (billion laughs, external entities): `declares_entities`
looks for `<!ENTITY` in the raw bytes and in every encoding feedparser could read the feed as."""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

# Byte-order marks and the first characters '<?' of an XML declaration in encodings that are not
# ASCII-compatible (XML 1.0, appendix F), as feedparser sniffs them.
_SNIFF = (
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
_XML_ENCODING = re.compile(r"""^\ufeff?<\?xml[^>]*?encoding\s*=\s*['"]([^'"]{1,40})['"]""")
_CHARSET = re.compile(r"""charset\s*=\s*['"]?([^'";\s]{1,40})""", re.IGNORECASE)
# Encodings in which the characters '<!DOCTYPE' and '<!ENTITY' can only be those ASCII bytes.
_BYTE_SEARCHABLE = frozenset({"utf-8", "utf-8-sig", "ascii", "iso8859-1", "cp1252", "cp1251", "koi8-r",
                              "iso8859-2", "iso8859-15"})
_DOCTYPE = "<!DOCTYPE"
_ENTITY = "<!ENTITY"
_DOCTYPE_RE = re.compile(_DOCTYPE.encode(), re.IGNORECASE)
_ENTITY_RE = re.compile(_ENTITY.encode(), re.IGNORECASE)


def sniff_encoding(body: bytes) -> str | None:
    """The encoding a byte-order mark or the first bytes of an XML declaration give, as feedparser
    sniffs it; None when neither says."""
    for marker, encoding in _SNIFF:
        if body.startswith(marker):
            return encoding
    return None


def declared_encodings(body: bytes, headers: Mapping[str, str]) -> list[str]:
    """The encoding names the document declares, as written: its XML declaration's, then the HTTP
    charset (none: an empty list). Read through the encoding the first bytes give, if any."""
    names = []
    head = body[:512].decode(sniff_encoding(body) or "latin-1", errors="ignore")
    declared = _XML_ENCODING.match(head)
    if declared:
        names.append(declared.group(1))
    charset = _CHARSET.search(headers.get("content-type", "") or "")
    if charset:
        names.append(charset.group(1))
    return names


def _candidate_encodings(body: bytes, headers: Mapping[str, str]) -> list[str]:
    """Every encoding feedparser could decode `body` with (BOM or first bytes, XML declaration,
    HTTP charset) in which '<!ENTITY' need not appear as those ASCII bytes (UTF-16/32, EBCDIC,
    UTF-7...). Encodings where it must are covered by searching the raw bytes."""
    sniffed = sniff_encoding(body)
    names = [sniffed] if sniffed else []
    names += declared_encodings(body, headers)
    found = []
    for name in names:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            continue
        if codec not in _BYTE_SEARCHABLE and codec not in found:
            found.append(codec)
    return found


def declares_entities(body: bytes, headers: Mapping[str, str] | None = None) -> bool:
    """True when the document has a DOCTYPE followed by an `<!ENTITY` declaration, in the raw
    bytes or in any non-ASCII-compatible encoding it could be read as (UTF-16/32, EBCDIC,
    UTF-7...). Case is ignored, so this errs on the side of refusing."""
    doctype = _DOCTYPE_RE.search(body)
    if doctype and _ENTITY_RE.search(body, doctype.end()):
        return True
    for codec in _candidate_encodings(body, headers or {}):
        text = body.decode(codec, errors="replace").upper()
        start = text.find(_DOCTYPE)
        if start >= 0 and text.find(_ENTITY, start) >= 0:
            return True
    return False
