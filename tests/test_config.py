from __future__ import annotations

from engage import PROJECT_ROOT
from engage.config import SETTINGS


def test_readme_documents_every_setting() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [name for name in SETTINGS if f"`{name}`" not in readme]
    assert not undocumented, f"add these to the README's configuration table: {undocumented}"
