"""Configuration: a TOML file plus environment overrides, validated into frozen models.

`load_config()` is the only entry point. Every key is optional; a bad key stops with one
`ConfigError` line that names it (never a traceback). Defaults live in the models (here and in
ingest.config_sections, the sections), and the shipped `newsmarks.toml` documents them (a test
keeps the two equal).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator

from ingest.config_sections import (
    FeedConfig,
    FrozenModel,
    HttpConfig,
    Instrument,
    PageConfig,
    RefreshConfig,
    SourcesConfig,
    Topic,
    default_feeds,
    default_instruments,
    default_pages,
    default_topics,
)

DEFAULT_STORE_URL = "sqlite:///data/newsmarks.db"
ENV_CONFIG = "NEWSMARKS_CONFIG"
ENV_DB = "NEWSMARKS_DB"
ENV_URLS = {
    "yahoo": "NEWSMARKS_YAHOO_URL",
    "cbr": "NEWSMARKS_CBR_URL",
    "gdelt": "NEWSMARKS_GDELT_URL",
}


class ConfigError(Exception):
    """A configuration problem, phrased as one line that names the key."""


class StoreConfig(FrozenModel):
    url: str = DEFAULT_STORE_URL

    @field_validator("url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {value!r} ({exc})") from None
        return value


class Config(FrozenModel):
    store: StoreConfig = StoreConfig()
    refresh: RefreshConfig = RefreshConfig()
    http: HttpConfig = HttpConfig()
    sources: SourcesConfig = SourcesConfig()
    instruments: list[Instrument] = Field(default_factory=default_instruments)
    feeds: list[FeedConfig] = Field(default_factory=default_feeds)
    pages: list[PageConfig] = Field(default_factory=default_pages)
    topics: list[Topic] = Field(default_factory=default_topics)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        for field, key in (("instruments", "id"), ("feeds", "name"), ("pages", "name"),
                           ("topics", "name")):
            seen: set[str] = set()
            for index, item in enumerate(getattr(self, field)):
                value = getattr(item, key)
                if value in seen:
                    raise ValueError(f"{field}[{index}].{key}: duplicate {value!r}")
                seen.add(value)
        for index, feed in enumerate(self.feeds):   # pages keep their fetch state under page:<name>
            if feed.name.startswith("page:"):
                raise ValueError(f"feeds[{index}].name: {feed.name!r} starts with 'page:', kept for [[pages]]")
        return self

    def instrument(self, instrument_id: str) -> Instrument:
        """The configured instrument with this id; ConfigError names the known ids otherwise."""
        for item in self.instruments:
            if item.id == instrument_id:
                return item
        known = ", ".join(i.id for i in self.instruments) or "none"
        raise ConfigError(f"unknown instrument {instrument_id!r} (configured: {known})")


def _format_validation_error(exc: ValidationError, origin: str) -> str:
    err = exc.errors()[0]
    loc = ""
    for part in err["loc"]:
        loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif "input" in err and err["type"] not in ("missing", "value_error") \
            and not isinstance(err["input"], dict):
        message = f"{message} (got {err['input']!r})"
    where = f"{loc}: " if loc else ""
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"config error in {origin}: {where}{message}{more}"


def load_config(path: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the TOML config at `path` (else $NEWSMARKS_CONFIG, else ./newsmarks.toml if present,
    else built-in defaults) and apply environment overrides. Raise ConfigError on any problem."""
    env = dict(os.environ if env is None else env)
    chosen = path or env.get(ENV_CONFIG)
    if chosen is None and Path("newsmarks.toml").is_file():
        chosen = "newsmarks.toml"
    data: dict = {}
    origin = "built-in defaults"
    if chosen is not None:
        origin = str(chosen)
        try:
            with open(chosen, "rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {chosen}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config error in {chosen}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {chosen}: {exc.strerror}") from None
    if env.get(ENV_DB):
        data.setdefault("store", {})
        if isinstance(data["store"], dict):
            data["store"]["url"] = env[ENV_DB]
    for service, variable in ENV_URLS.items():
        if env.get(variable):
            sources = data.setdefault("sources", {})
            if isinstance(sources, dict):
                section = sources.setdefault(service, {})
                if isinstance(section, dict):
                    section["url"] = env[variable]  # the section's other keys stay
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, origin)) from None
