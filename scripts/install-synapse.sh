#!/usr/bin/env bash
# Install a Synapse homeserver (for the Matrix end-to-end tests) into its own venv.
#
# Synapse lives outside the project's main venv on purpose: its dependency pins
# would fight ours. The tests (tests/adapters/matrix/) start it as a subprocess.
#
#   bash scripts/install-synapse.sh            # -> <repo>/.venv-synapse
#   SYNAPSE_VENV=/some/path bash scripts/install-synapse.sh
#
# Idempotent: does nothing if the venv already imports the wanted Synapse version.
set -euo pipefail

SYNAPSE_VERSION="1.163.2"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SYNAPSE_VENV:-$REPO_ROOT/.venv-synapse}"
PYTHON="${SYNAPSE_PYTHON:-python3}"

have_synapse() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$SYNAPSE_VERSION" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
import synapse.app.homeserver  # noqa: F401  (the real import the tests need)
import yaml  # noqa: F401
sys.exit(0 if version("matrix-synapse") == sys.argv[1] else 1)
PY
}

if have_synapse; then
  echo "matrix-synapse $SYNAPSE_VERSION already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "matrix-synapse==$SYNAPSE_VERSION"

if ! have_synapse; then
  echo "error: matrix-synapse $SYNAPSE_VERSION still not importable from $VENV/bin/python" >&2
  exit 1
fi
echo "installed matrix-synapse $SYNAPSE_VERSION into $VENV"
