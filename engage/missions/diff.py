"""A readable word-level diff between two statement versions (pure: strings in, segments out)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["same", "added", "removed"]
# Words and punctuation runs, each with its trailing spaces: "healthy:" becoming "healthy for"
# then reads as one word kept and two added, not one word swapped for another.
_TOKEN = re.compile(r"[\w'\u2019-]+\s*|[^\w\s]+\s*|\s+")


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[Segment]:
    """Segments that, read in order, show ``old`` turning into ``new`` word by word.

    Adjacent segments of the same kind are merged, and a replacement shows what was removed
    before what was added, as people read an edit.
    """
    before, after = tokens(old), tokens(new)
    # autojunk off: statements are short, and common words must still line up.
    matcher = SequenceMatcher(
        a=[t.strip() for t in before], b=[t.strip() for t in after], autojunk=False
    )
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            # Equal words may be followed by different spaces; keep both, so the segments
            # still spell out the old text as well as the new one.
            for old_token, new_token in zip(before[i1:i2], after[j1:j2], strict=True):
                word = new_token.rstrip()
                if old_token == new_token:
                    _append(segments, "same", new_token)
                else:
                    _append(segments, "same", word)
                    _append(segments, "removed", old_token[len(word) :])
                    _append(segments, "added", new_token[len(word) :])
            continue
        if tag in ("delete", "replace"):
            _append(segments, "removed", "".join(before[i1:i2]))
        if tag in ("insert", "replace"):
            _append(segments, "added", "".join(after[j1:j2]))
    return segments


def _append(segments: list[Segment], op: Op, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + text)
    else:
        segments.append(Segment(op, text))


def summary(segments: list[Segment]) -> tuple[int, int]:
    """Words added and removed."""
    added = sum(len(s.text.split()) for s in segments if s.op == "added")
    removed = sum(len(s.text.split()) for s in segments if s.op == "removed")
    return added, removed
