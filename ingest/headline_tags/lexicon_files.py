"""Reading a lexicon file (the GPR paper's and the headline rules'): its text, shipped or at a
path, checked into a pydantic model, and every problem as one `LexiconError` line naming the key."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from importlib import resources
from typing import TypeVar

from pydantic import BaseModel, ValidationError

_M = TypeVar("_M", bound=BaseModel)


class LexiconError(ValueError):
    """A malformed GPR lexicon, phrased as one line that names the bad key."""


def where_matching(loc: Sequence) -> str:
    """A pydantic error's location as the key it names (`categories.war_threats.within`)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def lexicon_error(kind: str, origin: str, where: str, message: str) -> LexiconError:
    """The one-line error of a lexicon file: `kind` names the file's kind ("GPR lexicon"),
    `where` the bad key (empty: the whole file)."""
    return LexiconError(f"{kind} error in {origin}: {where + ': ' if where else ''}{message}")


def _validation_message(exc: ValidationError, kind: str, origin: str) -> str:
    err = exc.errors()[0]
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] not in ("missing", "value_error") and not isinstance(err.get("input"), dict):
        message = f"{message} (got {err.get('input')!r})"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return str(lexicon_error(kind, origin, where_matching(err["loc"]), f"{message}{more}"))


def validated_lexicon(model: type[_M], text: str, kind: str, origin: str) -> _M:
    """A lexicon file's TOML `text` read into its pydantic `model`; LexiconError naming the first
    bad key (and how many more there are) if it does not fit."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise lexicon_error(kind, origin, "", f"not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise LexiconError(_validation_message(exc, kind, origin)) from None


def lexicon_text(file_name: str, path: str | os.PathLike | None, kind: str) -> tuple[str, str]:
    """The text of the lexicon file at `path`, else of the one shipped as ingest/lexicons/`file_name`,
    and its origin for errors; LexiconError if `path` cannot be read."""
    if path is None:
        text = resources.files("ingest").joinpath("lexicons", file_name).read_text(encoding="utf-8")
        return text, f"ingest/lexicons/{file_name}"
    origin = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), origin
    except OSError as exc:
        raise LexiconError(f"cannot read {kind} {origin}: {exc.strerror}") from None
