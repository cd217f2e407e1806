"""Every user-facing sentence, kept in one catalog per language (TOML files under texts/<lang>/).

Keys are `file.name` (for example `core.help`); values are `str.format` templates.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

DEFAULT_LANGUAGE = "en"
_ROOT = Path(__file__).parent


@cache
def catalog(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """All texts of one language, flattened to `file.key` → template."""
    texts: dict[str, str] = {}
    for path in sorted((_ROOT / language).glob("*.toml")):
        with path.open("rb") as fh:
            for key, value in tomllib.load(fh).items():
                if not isinstance(value, str):
                    raise TypeError(f"{path.name}: {key} must be a string")
                texts[f"{path.stem}.{key}"] = value.strip("\n")
    return texts


def t(key: str, /, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for `key`, filled with `values`; a missing key is a programming error."""
    template = catalog(language).get(key)
    if template is None:
        template = catalog(DEFAULT_LANGUAGE)[key]
    return template.format(**values) if values else template
