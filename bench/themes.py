"""Themes of 100,000 short texts with planted topics (engage.evaluation.themes).

Run by hand, not by the tests:

    python bench/themes.py                     # 100,000 texts, seed 1
    python bench/themes.py --texts 20000 --seed 7

Synthesises short texts (fixed seed) in English, Spanish and Catalan, each about one of four
planted topics (traffic, parks, housing, air quality): 2-4 of the topic's words in the text's
language, 2 words the topic's texts share across languages (place names, loanwords), 2-4 stop
words and now and then a general word; each text gets a source and a segment label. It times
`propose_themes` (TF-IDF, the stability search over k = 2..12 on subsamples, the final NMF and
the theme tables) and prints the seconds, the peak memory and how well the themes match the
planted topics (adjusted Rand index, unassigned texts counted as a group of their own). Peak
memory is VmHWM from /proc/self/status: the resident high-water mark of the whole process
(interpreter, libraries, the texts, sparse matrices and BLAS buffers).

Targets (issue 7): under 60 s and 2 GB on the 2-core machine. Exit status 1 when a target is
missed or the topics are not recovered (ARI below 0.9).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.metrics import adjusted_rand_score  # type: ignore[import-untyped]

from engage.evaluation.themes import propose_themes
from tests.evaluation.corpus import planted_corpus

TARGET_SECONDS = 60.0
TARGET_MB = 2048.0
RECOVERED_ARI = 0.9


def peak_mb() -> float:
    """VmHWM (resident high-water mark) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    texts, truth, sources, segments = planted_corpus(args.texts, args.seed)
    print(f"texts: {len(texts):,} (seed {args.seed}); peak before theming {peak_mb():.0f} MB")
    last = [-1]

    def progress(percent: int, message: str = "", **params: str | int | float) -> None:
        if percent >= last[0] + 10 or percent == 100:
            last[0] = percent
            note = message % params if params else message
            print(f"  {percent:3d}% {note} ({time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    result = propose_themes(texts, sources=sources, segments=segments, progress=progress)
    seconds = time.perf_counter() - started
    peak = peak_mb()
    labels = [-1 if a is None else a for a in result.assignments]
    ari = adjusted_rand_score(truth, labels)

    print(f"vocabulary: {result.vocabulary_size:,} terms; texts with terms: {result.used_count:,}")
    print("stability: " + ", ".join(f"{s.k}: {s.stability:.3f}" for s in result.scores))
    print(f"themes: {result.k}; unassigned texts: {result.unassigned:,}")
    for theme in result.themes:
        words = ", ".join(k.label for k in theme.keywords[:6])
        print(f"  {theme.number}: {theme.size:,} texts ({theme.share:.1%}): {words}")
    met_time = seconds < TARGET_SECONDS
    met_memory = peak < TARGET_MB
    met_ari = ari >= RECOVERED_ARI
    print(
        f"seconds: {seconds:.1f} (target {TARGET_SECONDS:.0f}): {'met' if met_time else 'MISSED'}"
    )
    print(f"peak MB: {peak:.0f} (target {TARGET_MB:.0f}): {'met' if met_memory else 'MISSED'}")
    print(
        f"adjusted Rand index: {ari:.3f} (recovered at {RECOVERED_ARI}): "
        f"{'yes' if met_ari else 'NO'}"
    )
    return 0 if met_time and met_memory and met_ari else 1


if __name__ == "__main__":
    sys.exit(main())
