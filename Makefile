# The README's two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EMULATOR := tests/adapters/telegram/emulator
ELEMENT_SDK := tests/adapters/matrix/jsclient

.PHONY: run test setup test-setup bench mutate clean

$(BIN)/dilemmabot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/dilemmabot

## Set up and run the bot (console when no Telegram/Matrix credentials are set).
run: setup
	$(BIN)/dilemmabot run

## Set up everything the tests need (Python packages, the Telegram emulator, Element's SDK, Synapse, Chromium), then run every test.
test: test-setup
	$(BIN)/pytest

test-setup: setup
	npm ci --prefix $(EMULATOR) --no-audit --no-fund --loglevel=error
	npm ci --prefix $(ELEMENT_SDK) --no-audit --no-fund --loglevel=error
	bash scripts/install-synapse.sh
	bash scripts/install-chromium.sh

bench: setup
	$(BIN)/python -m bench

## A developer's tool, not part of `make test`: make each single-line bug of scripts/mutations.yaml, run the
## tests meant to catch it, and list the bugs no test caught (survivors).
mutate: test-setup
	$(BIN)/python scripts/mutate.py

clean:
	rm -rf $(VENV) .venv-synapse $(EMULATOR)/node_modules $(ELEMENT_SDK)/node_modules
