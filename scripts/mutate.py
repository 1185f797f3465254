"""Make single-line bugs one at a time and check that the tests meant to catch each one fail.

    .venv/bin/python scripts/mutate.py                 # every mutation in scripts/mutations.yaml
    .venv/bin/python scripts/mutate.py -k forget       # those whose name contains "forget"

Each mutation names a file, a text that must occur there exactly once, what to put instead, and the
tests that guard the rule.  The file is restored after each run, also on Ctrl-C.  A mutation the tests
do not catch is a "survivor": a rule no test guards.  A tool for developers, not part of ``make test``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LIST = Path(__file__).with_name("mutations.yaml")


def run(mutation: dict, python: str) -> tuple[bool, float]:
    path = ROOT / mutation["file"]
    original = path.read_text(encoding="utf-8")
    if original.count(mutation["find"]) != 1:
        raise SystemExit(f"{mutation['name']}: the text to replace occurs {original.count(mutation['find'])} "
                         f"times in {mutation['file']}, not once")
    started = time.monotonic()
    try:
        path.write_text(original.replace(mutation["find"], mutation["replace"]), encoding="utf-8")
        tests = mutation["tests"] if isinstance(mutation["tests"], list) else [mutation["tests"]]
        result = subprocess.run([python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                                cwd=ROOT, capture_output=True, text=True, timeout=900)
        return result.returncode != 0, time.monotonic() - started
    finally:
        path.write_text(original, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutations whose name contains this")
    args = parser.parse_args()
    mutations = [m for m in yaml.safe_load(LIST.read_text(encoding="utf-8")) if args.k in m["name"]]
    survivors = []
    for mutation in mutations:
        caught, seconds = run(mutation, sys.executable)
        print(f"{'caught  ' if caught else 'SURVIVED'}  {seconds:5.1f} s  {mutation['name']}", flush=True)
        if not caught:
            survivors.append(mutation["name"])
    print(f"\n{len(mutations)} mutations, {len(survivors)} survivors")
    for name in survivors:
        print(f"  survivor: {name}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
