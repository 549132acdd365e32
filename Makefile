# Two commands do all set-up on a fresh Linux machine with Python 3.11:
#   make run   -> .venv, pinned requirements, database (if missing or stale), Streamlit on 127.0.0.1:8501
#   make test  -> the same set-up plus dev tools, Debian Chromium, and the whole suite (browser tests included)
#   make run CITY=path/to/city-folder -> the same for another city (KLA_CITY; database in that folder)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
GEO_SOURCE ?=
# Another city: `make run CITY=path/to/city-folder` (a folder with city.toml; see README "Menambah kota").
CITY   ?=
ifneq ($(CITY),)
export KLA_CITY := $(CITY)
endif


.PHONY: run test test-fast install install-dev db geo chromium lint clean loadtest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/python -m kla build --if-stale

# Boundaries are optional: fetched when missing and the network allows; the app runs without them.
geo: db
	-$(BIN)/python -m kla geo fetch --if-missing $(if $(GEO_SOURCE),--from $(GEO_SOURCE),)

run: geo
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: install-dev chromium
	$(BIN)/python -m pytest

# Everything except the browser tests and the long CLI/build runs (marked `slow`): for the edit-test loop.
test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow and not browser"

# Load run (issue 13): 10 Chromium sessions read Ringkasan, Peta and Gizi Anak while imports of a
# 200,000-row e-PPGBM file swap a private copy of the database (about 6 minutes; not part of `make test`).
# Report: stdout and tests/artifacts/loadtest.json. Options: make loadtest LOADTEST_ARGS="--sessions 3 --rows 20000"
loadtest: install-dev chromium
	$(BIN)/python tests/loadtest.py $(LOADTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check kla geo pages app.py tests

# The artifact only: the city's records (data/records/: imports, scenarios, rulebook) are never deleted.
clean:
	rm -rf $(VENV) data/kla.duckdb $(if $(CITY),$(CITY)/kla.duckdb,) tests/artifacts
