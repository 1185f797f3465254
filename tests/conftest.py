"""Settings for the whole suite.

Hypothesis runs the same examples on every run, in CI and on a developer's machine alike: its built-in
``ci`` profile (``derandomize``: examples drawn from a hash of each test, no example database, no
deadline).  ``HYPOTHESIS_PROFILE=default .venv/bin/pytest tests/engine`` explores fresh random examples
instead; a failure found that way prints the example to add with ``@example``.  ``scripts/mutate.py``
uses the ``mutate`` profile: the same examples, without shrinking a failure (it only asks whether one fails).
"""

from __future__ import annotations

import os

from hypothesis import Phase, settings

settings.register_profile("mutate", settings.get_profile("ci"), phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
