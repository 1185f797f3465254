"""Checks of the emulator fixture itself that need no running emulator."""

import pytest

from . import conftest as tg_conftest
from . import emulator_process


def test_missing_node_modules_fails_with_npm_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(emulator_process, "EMULATOR_DIR", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="npm ci --prefix tests/adapters/telegram/emulator"):
        tg_conftest._check_installed()
