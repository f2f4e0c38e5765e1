# Everything a newcomer needs: `make serve` to write, `make test` to verify.
# Both create .venv on first use and install the locked dependencies.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# Notebooks are spread over worker processes (one kernel thread each; `auto`
# is one per CPU and one more, tests/conftest.py says why); nbval
# needs every cell of a notebook on the same worker, hence --dist loadscope
# (tests/conftest.py puts the browser tests in two such scopes).
# --no-loadscope-reorder keeps the order tests/conftest.py gives: the shared
# site is made first, by one worker, while the others run the unit tests.
# `make test PYTEST_WORKERS=0` runs everything in one process.
PYTEST_WORKERS ?= auto

# The suite starts Python well over a hundred times (kernels, builds, the
# command line): all of them read the journal's bytecode from __pycache__/
# (ignored by git; `make setup` compiles it, Python refreshes what changes),
# even where the environment asks Python not to write it.
unexport PYTHONDONTWRITEBYTECODE

# Material for MkDocs prints an end-of-life banner about MkDocs 2 on every run.
export NO_MKDOCS_2_WARNING := 1
# The CPU build of torch: keeps installs small on machines without a GPU index.
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup serve site test bench screenshots lock drift clean

$(STAMP): requirements.lock pyproject.toml journal/live/dist.py journal/vendor.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e '.[test]'
	$(BIN)/python -m journal.live.dist fetch --quiet
	@# the browser tests' axe-core (needs npm; without it they say so and skip)
	-$(BIN)/python -m journal.vendor
	@# bytecode of the code this checkout runs (an editable install compiles none):
	@# otherwise the first `make test` compiles it in every process it starts at once
	$(BIN)/python -m compileall -q journal snippets tests bench
	@touch $@

setup: $(STAMP) ## create .venv and install the locked dependencies

# --dirty: a saved post is rebuilt alone when nothing other pages show of it
# changed, every page otherwise (journal/site/rebuild.py decides).
serve: setup ## live-reloading preview on http://127.0.0.1:8000
	$(BIN)/mkdocs serve --dirty

site: setup ## strict build of the static site into site/
	$(BIN)/mkdocs build --strict

test: setup ## unit tests, then every notebook re-executed and compared
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

bench: setup ## timings and sizes against their targets; bench/results.json, pages/benchmarks.md
	$(BIN)/python bench/run.py

screenshots: setup ## PNGs of home, a post and a notebook, light and dark, in screenshots/
	$(BIN)/python bench/screenshots.py

lock: ## re-resolve requirements.lock from pyproject.toml in a throwaway venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet '.[test]'
	.lock-venv/bin/pip freeze --exclude ml-journal \
	  | sed -e 's/^torch==\(.*\)+cpu$$/torch==\1/' > requirements.lock
	rm -rf .lock-venv

# Throwaway venvs under .cache/drift/ (reused while their versions stay the same);
# the lock's column comes from reports/verification.json, so run `make test` first.
drift: setup ## verify with the newest and the oldest allowed releases; reports/drift.json
	$(BIN)/journal drift $(DRIFT_ARGS)

clean:
	rm -rf site .pytest_cache
