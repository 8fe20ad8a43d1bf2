"""Every user-facing string is marked for translation, the catalogue is current, and a
translation, once compiled, is what people see."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from engage import PROJECT_ROOT, create_app
from tests.conftest import test_config

POT = PROJECT_ROOT / "engage" / "translations" / "messages.pot"


def _extract(target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_l",
            "--no-location",
            "--sort-output",
            "-o",
            str(target),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )


def test_catalogue_holds_every_marked_string(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    _extract(fresh)
    with fresh.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with POT.open("rb") as handle:
        shipped = {message.id for message in read_po(handle) if message.id}
    missing = sorted(str(m) for m in wanted - shipped)
    assert not missing, (
        "engage/translations/messages.pot is out of date; run the pybabel extract command in "
        f"babel.cfg. Missing: {missing[:5]}"
    )


class _BareText(HTMLParser):
    """Collects text and human-readable attributes left in a template outside any expression."""

    READABLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in self.READABLE_ATTRIBUTES and value and re.search(r"[A-Za-z]{2}", value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and re.search(r"[A-Za-z]{2}", data):
            self.found.append(data.strip())


TEMPLATES = sorted(
    p.relative_to(PROJECT_ROOT / "templates") for p in (PROJECT_ROOT / "templates").rglob("*.html")
)


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t) for t in TEMPLATES])
def test_templates_have_no_untranslated_text(template: Path) -> None:
    source = (PROJECT_ROOT / "templates" / template).read_text(encoding="utf-8")
    # Everything Jinja evaluates is either translated with _() or data; what is left is bare text.
    bare = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    parser = _BareText()
    parser.feed(bare)
    # The brand name is not translated.
    leftovers = [
        text for text in parser.found if re.search(r"[A-Za-z]{2}", text.replace("engage", ""))
    ]
    assert not leftovers, f"untranslated text in {template}: {leftovers}"


def _french_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    with POT.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    catalogue.get("Sign in").string = "Se connecter"  # type: ignore[union-attr]
    catalogue.get("Missions").string = "Missions de la ville"  # type: ignore[union-attr]
    messages = tmp_path / "translations" / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    with (messages / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    monkeypatch.setenv("ENGAGE_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(
        test_config(
            f"sqlite:///{tmp_path / 'i18n.sqlite3'}",
            BABEL_TRANSLATION_DIRECTORIES=str(tmp_path / "translations"),
        )
    )


def test_a_compiled_translation_is_shown_to_people_who_ask_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _french_app(tmp_path, monkeypatch)
    client = app.test_client()
    french = client.get("/sign-in", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True
    )
    english = client.get("/sign-in", headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert "Se connecter" in french and 'lang="fr"' in french
    assert "Se connecter" not in english and "Sign in" in english
