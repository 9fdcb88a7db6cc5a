"""Static checks of the PWA's sources: every string key used exists in the French catalogue,
and no module builds DOM from HTML strings (user text is only ever set as text)."""

from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "web" / "app"
CATALOGUE = APP / "i18n" / "fr"
#: t("key" or t('key' with a literal key (template-literal keys are checked at run time).
USED = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
DEFINED = re.compile(r"""^\s*["']([a-z0-9_.]+)["']\s*:""", re.MULTILINE)
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write|\beval\(")


def _sources() -> list[Path]:
    """The app's JavaScript modules, the catalogue excluded."""
    return [p for p in APP.rglob("*.js") if CATALOGUE not in p.parents]


def test_every_string_key_used_is_in_the_catalogue() -> None:
    """A screen asking for a key the catalogue lacks would show the key to the user."""
    defined: set[str] = set()
    for module in CATALOGUE.glob("*.js"):
        keys = DEFINED.findall(module.read_text(encoding="utf-8"))
        assert not defined & set(keys), f"{module.name} redefines {defined & set(keys)}"
        defined |= set(keys)
    used = {key for p in _sources() for key in USED.findall(p.read_text(encoding="utf-8"))}
    assert used, "no t() call found: the pattern is out of date"
    assert sorted(used - defined) == []


def test_no_module_turns_strings_into_html() -> None:
    """No innerHTML, outerHTML, insertAdjacentHTML, document.write or eval in the app."""
    offenders = [
        f"{p.relative_to(APP)}:{n}: {line.strip()}"
        for p in _sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if HTML_SINKS.search(line) and not line.strip().startswith("//")
    ]
    assert offenders == []
