"""`make mutate`'s list stays runnable: each bug's text occurs once in its file, each named test file exists."""

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mutate.py"


def test_every_mutation_can_be_made() -> None:
    spec = importlib.util.spec_from_file_location("mutate", SCRIPT)
    assert spec is not None and spec.loader is not None
    mutate = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = mutate  # dataclasses look their module up there
    spec.loader.exec_module(mutate)
    assert mutate.problems(mutate.load()) == []
