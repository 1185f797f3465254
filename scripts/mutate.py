"""Make single-line bugs one at a time and check that the tests meant to catch each one fail.

    make mutate                                        # every mutation in scripts/mutations.yaml
    .venv/bin/python scripts/mutate.py -k forget       # those whose name contains "forget"
    .venv/bin/python scripts/mutate.py --baseline      # first check that each mutation's tests pass as they are

Each mutation names a file, a text that must occur there exactly once, what to put instead, and the
tests that guard the rule.  A mutation is caught when those tests fail (pytest's exit code 1); the
first failing test is printed, so you can see it failed for the right reason.  A mutation the tests do
not catch is a "survivor": a rule no test guards.  A mutation that stops the tests from running at all
(an import error, no tests collected) is an error in the list, not a catch.

The file is restored after each run (also on Ctrl-C), with its old modification time, and no bytecode
is written for the mutated file.  The mutations are made in this checkout: do not run other tests in it
meanwhile.  A tool for developers, not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
LIST = Path(__file__).with_name("mutations.yaml")
TESTS_FAILED = 1  # pytest's exit code when tests ran and some failed
TIMEOUT = 900  # seconds for one mutation's tests: only a hang should reach it
_FAILED = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]

    @classmethod
    def from_yaml(cls, entry: dict) -> Mutation:
        tests = entry["tests"] if isinstance(entry["tests"], list) else [entry["tests"]]
        return cls(entry["name"], entry["file"], entry["find"], entry["replace"], tuple(tests))


@dataclass(frozen=True)
class Outcome:
    code: int
    seconds: float
    failed: str  # the first failing test, or the end of pytest's output if none is named


def pytest(tests: tuple[str, ...]) -> Outcome:
    started = time.monotonic()
    # No bytecode: a mutated module must never be cached.  Hypothesis: the suite's examples, a failure not shrunk.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HYPOTHESIS_PROFILE": "mutate"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    named = _FAILED.findall(result.stdout)
    tail = (result.stdout.strip().splitlines() or [""])[-1]
    return Outcome(result.returncode, time.monotonic() - started, named[0] if named else tail)


def load(name_contains: str = "") -> list[Mutation]:
    return [Mutation.from_yaml(m) for m in yaml.safe_load(LIST.read_text(encoding="utf-8"))
            if name_contains in m["name"]]


def problems(mutations: list[Mutation]) -> list[str]:
    """What is stale in the list: a text to replace that no longer occurs exactly once, a test path that is gone."""
    found = []
    for mutation in mutations:
        count = (ROOT / mutation.file).read_text(encoding="utf-8").count(mutation.find)
        if count != 1:
            found.append(f"{mutation.name}: the text to replace occurs {count} times in {mutation.file}, not once")
        for test in mutation.tests:
            if not (ROOT / test.split("::")[0]).exists():
                found.append(f"{mutation.name}: no test file {test.split('::')[0]}")
    return found


def mutated(mutation: Mutation) -> Outcome:
    path = ROOT / mutation.file
    original = path.read_text(encoding="utf-8")
    stat = path.stat()
    try:
        path.write_text(original.replace(mutation.find, mutation.replace), encoding="utf-8")
        return pytest(mutation.tests)
    finally:
        path.write_text(original, encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutations whose name contains this")
    parser.add_argument("--baseline", action="store_true", help="first run each mutation's tests unmutated")
    args = parser.parse_args()
    mutations = load(args.k)
    stale = problems(mutations)
    if stale:
        print("\n".join(stale))
        return 2
    if args.baseline:
        for tests in dict.fromkeys(m.tests for m in mutations):
            outcome = pytest(tests)
            if outcome.code != 0:
                print(f"the tests fail without any mutation: {' '.join(tests)}: {outcome.failed}")
                return 2
    survivors, errors = [], []
    for mutation in mutations:
        outcome = mutated(mutation)
        if outcome.code == TESTS_FAILED:
            verdict, detail = "caught  ", f"by {outcome.failed}"
        elif outcome.code == 0:
            verdict, detail = "SURVIVED", ""
            survivors.append(mutation.name)
        else:
            verdict, detail = "ERROR   ", f"pytest exit code {outcome.code}: {outcome.failed}"
            errors.append(mutation.name)
        print(f"{verdict}  {outcome.seconds:5.1f} s  {mutation.name}", flush=True)
        if detail:
            print(f"{'':20}{detail}", flush=True)
    print(f"\n{len(mutations)} mutations, {len(survivors)} survivors, {len(errors)} errors")
    for name in survivors:
        print(f"  survivor: {name}")
    for name in errors:
        print(f"  error: {name}")
    return 1 if survivors or errors else 0


if __name__ == "__main__":
    sys.exit(main())
