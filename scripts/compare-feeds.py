"""Build the bundled sources at a git revision and at the working tree, and compare every
published file byte for byte.

    python scripts/compare-feeds.py REV [--now 2024-06-01T12:00:00+00:00] [--keep]

Both builds read the working tree's sources.yaml and examples/ (so only the code differs),
each in a temporary folder of its own with its own store, with the same fixed ``now``; the
code at REV comes from a temporary ``git worktree``. Prints the files that differ or exist on
one side only and exits 1 when there is any; exits 0 when every file is the same.
Run it with the project's Python (the one that has feedhub's dependencies).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = """
import sys
from datetime import datetime
from pathlib import Path
from feedhub.config import load_config
from feedhub.pipeline import build
report = build(load_config(Path(sys.argv[1])), now=datetime.fromisoformat(sys.argv[2]))
sys.exit(0 if report.ok else 1)
"""


def build_at(src: Path, folder: Path, now: str) -> Path:
    """Build the bundled sources with the feedhub found in ``src``; returns the output folder."""
    shutil.copytree(ROOT / "examples", folder / "examples")
    shutil.copy(ROOT / "sources.yaml", folder / "sources.yaml")
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, "-c", BUILD, str(folder / "sources.yaml"), now],
                   env=env, check=True, cwd=folder)
    return folder / "feeds"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def compare(before: Path, after: Path) -> list[str]:
    old, new = files(before), files(after)
    problems = [f"only at the revision: {name}" for name in sorted(old.keys() - new.keys())]
    problems += [f"only in the working tree: {name}" for name in sorted(new.keys() - old.keys())]
    problems += [f"differs: {name}" for name in sorted(old.keys() & new.keys())
                 if old[name] != new[name]]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", help="the git revision to compare with (a commit, a branch)")
    parser.add_argument("--now", default="2024-06-01T12:00:00+00:00",
                        help="the build's clock, ISO 8601 with an offset")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args()
    temp = Path(tempfile.mkdtemp(prefix="feedhub-compare-"))
    tree = temp / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet",
                    str(tree), args.rev], check=True)
    try:
        before = build_at(tree / "src", temp / "at-rev", args.now)
        after = build_at(ROOT / "src", temp / "working", args.now)
        problems = compare(before, after)
        count = len(files(after))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                       check=True)
        if not args.keep:
            shutil.rmtree(temp)
    for line in problems:
        print(line)
    print(f"{len(problems)} difference(s) in {count} file(s)" if problems else
          f"{count} published file(s) identical at {args.rev} and in the working tree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
