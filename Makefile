# The two commands of this project: `make run` and `make test`.
# Both create .venv if needed and install everything from this repository's own files.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# CPU build of torch, installed before sentence-transformers so that no CUDA build is pulled.
# Elsewhere: TORCH_SPEC="torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
TORCH_SPEC ?= torch==2.13.0
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=..." >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_SPEC)
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/matcher demo
	$(VENV)/bin/matcher serve

# The PostgreSQL tests start their own temporary server (tests/pg.py); this installs Debian's
# postgresql package first where its server binaries are missing (quick when they are there).
# The browser tests drive Debian's Chromium (installed the same way where missing); the single
# sign-on tests run a real OpenID provider (npm's oidc-provider, pinned in tests/oidc/) on node.
test: $(STAMP)
	sh tests/ensure_postgres.sh
	sh tests/ensure_chromium.sh
	sh tests/ensure_oidc.sh
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check matcher training data api tests
	$(VENV)/bin/ruff format --check matcher training data api tests
	$(VENV)/bin/mypy

# Each benchmark prints its own table; figures and commands are in README.md. The audit log is
# benchmarked on the home's disk (an fsync on tmpfs costs nothing); the serving benchmark prepares
# the default world under the home and the 100k world under HOME/bench-100k if they are missing
# (minutes, the first time), and drives HTTP with wrk too where it is installed.
bench: $(STAMP)
	$(PY) -m training.bench.encoder
	$(PY) -m training.bench.retrieval
	$(PY) -m training.bench.reranker
	mkdir -p $${MATCHER_HOME:-var}
	$(PY) -m training.bench.audit --dir $${MATCHER_HOME:-var}
	sh tests/ensure_wrk.sh
	$(PY) -m training.bench.serving --home $${MATCHER_HOME:-var} --concurrency 4 8
	$(PY) -m training.bench.server_profile --home $${MATCHER_HOME:-var}
	$(PY) -m training.bench.index_build --home $${MATCHER_HOME:-var} --sizes 100000 1000000
	$(PY) -m training.bench.web --home $${MATCHER_HOME:-var}
	$(PY) -m training.bench.proxies --home $${MATCHER_HOME:-var}
	$(PY) -m training.bench.opportunities --home $${MATCHER_HOME:-var}
	$(PY) -m training.bench.batch --home $${MATCHER_HOME:-var}
	$(PY) -m training.bench.backup --home $${MATCHER_HOME:-var}
	$(PY) -m training.bench.metrics --home $${MATCHER_HOME:-var}

clean:
	rm -rf var .pytest_cache
