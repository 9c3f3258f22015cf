# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= termbridge.db
HOST ?= 127.0.0.1
PORT ?= 50051

.PHONY: run test db proto clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	command -v java >/dev/null || (apt-get update && apt-get install -y openjdk-17-jre-headless)  # pyspark
	touch $@

# Builds the default database if missing (and brings an old one up to date), then serves.
run: db
	$(BIN)/termbridge serve --db $(DB) --host $(HOST) --port $(PORT)

db: $(BIN)/.installed
	$(BIN)/termbridge init --db $(DB)

test: $(BIN)/.installed
	$(BIN)/python -m pytest

proto: $(BIN)/.installed
	$(BIN)/python proto/generate.py

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm .pytest_cache
