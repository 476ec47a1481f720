"""The Recognize step of this code against an earlier commit's, in one run, taking turns.

    PYTHONPATH=. .venv/bin/python bench/against.py 374967e [--rounds 5] [--repeats 25]

Timings on this machine drift by 1.3x to 1.8x within minutes (docs/performance.md), so a figure
measured on another day says little about a change. Here the earlier code is checked out into
.tools/against/<commit> (a detached git worktree) with its own models, installed by its own
installer (the models it shipped with), and each round starts a fresh process of each code in
turn. Each process times the Recognize step on the same photo (bench/pipeline.py's generated 12 MP
JPEG: what Thumbnails stores for the recognizer, then the step from it), and the ratio of a
round, its two medians taken a minute apart at most, is what to read.

Both run on this checkout's virtualenv, so the earlier commit must have the same entry points
(processing.recognition.photo's recognition_picture and recognize_picture; any commit since
the Recognize step read thumbnails) and dependencies this virtualenv satisfies.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from pipeline import twelve_megapixels  # noqa: E402

CHECKOUTS = ROOT / ".tools" / "against"

# Run in each checkout (its own processing package, its own var/models): the step's median CPU
# ms over the repeats, after a warm-up, and the labels, to show both recognized the photo.
STEP = """
import json, statistics, sys, time
from processing.recognition.local import LocalRecognizer
from processing.recognition.models.manifest import default_models_dir
from processing.recognition.photo import recognition_picture, recognize_picture
recognizer = LocalRecognizer(default_models_dir())
picture = recognition_picture(open(sys.argv[1], "rb").read(), recognizer)
labels = recognize_picture(picture, recognizer)
times = []
for _ in range(int(sys.argv[2])):
    started = time.process_time()
    recognize_picture(picture, recognizer)
    times.append((time.process_time() - started) * 1000)
print(json.dumps({"ms": statistics.median(times), "labels": [l.name for l in labels]}))
"""


def checkout(commit: str) -> Path:
    """The earlier code in its own worktree, with its models installed (once)."""
    resolved = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = CHECKOUTS / resolved
    if not tree.exists():
        CHECKOUTS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), resolved],
            check=True,
        )
    if not (tree / "var" / "models" / "models.json").exists():
        print(f"Installing {resolved}'s models with its own installer...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "processing.recognition.models", "install"],
            cwd=tree,
            env=_environment(tree),
            check=True,
        )
    return tree


def _environment(tree: Path) -> dict[str, str]:
    """The checkout's own code and models: nothing of this one's configuration leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOSHARE_")}
    return {**env, "PYTHONPATH": str(tree)}


@dataclass(frozen=True)
class Timed:
    ms: float  # the step's median CPU time
    labels: list[str]


def timed_step(tree: Path, photo: Path, repeats: int) -> Timed:
    done = subprocess.run(
        [sys.executable, "-c", STEP, str(photo), str(repeats)],
        cwd=tree,
        env=_environment(tree),
        capture_output=True,
        text=True,
        check=True,
    )
    return Timed(**json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", help="the earlier commit, e.g. 374967e")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=25, help="timed steps per process")
    args = parser.parse_args()
    earlier = checkout(args.commit)
    photo = twelve_megapixels().path
    codes = {f"{earlier.name} (earlier)": earlier, "this checkout": ROOT}
    print(f"\n## The Recognize step, {photo.name}, median CPU ms of {args.repeats} steps\n")
    print("| round | " + " | ".join(codes) + " | this checkout's share |")
    print("|---|---|---|---|")
    shares = []
    for round_number in range(1, args.rounds + 1):
        results = {name: timed_step(tree, photo, args.repeats) for name, tree in codes.items()}
        then, now = (result.ms for result in results.values())
        shares.append(now / then)
        cells = " | ".join(f"{result.ms:.1f}" for result in results.values())
        print(f"| {round_number} | {cells} | {now / then:.2f} |", flush=True)
    for name, result in results.items():
        print(f"\n{name} labelled the photo: {', '.join(result.labels) or 'nothing'}")
    print(
        f"\nMedian share over the rounds: {statistics.median(shares):.2f} "
        f"({1 / statistics.median(shares):.2f}x as fast)."
    )


if __name__ == "__main__":
    main()
