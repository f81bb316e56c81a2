# Two entry points, both installing everything into .venv first: `make demo` and `make test` (what CI runs).
# `make test` also needs Debian's chromium; it installs it with apt-get as root or with sudo, or says how.
PYTHON ?= python3
VENV ?= .venv
# torch first, pinned: this machine has a local CPU wheel of 2.13.0; any other spec pulls CUDA wheels (see README).
TORCH ?= torch==2.13.0
CHROMIUM ?= /usr/bin/chromium
EXAMPLES := src/painterly/examples

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet "$(TORCH)"
	$(VENV)/bin/pip install --quiet -e '.[test]'  # every extra: studio, video, cluster, formats; browser-test tools
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	mkdir -p out
	$(VENV)/bin/painterly $(EXAMPLES)/village.jpg --style $(EXAMPLES)/swirls.jpg -o out/village_swirls.png --size 384 --overwrite

# The studio's browser tests drive Debian's Chromium through Playwright (never `playwright install`: it downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v $(CHROMIUM) >/dev/null 2>&1 || sh scripts/install_chromium.sh

test: $(VENV)/.installed chromium
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/lint-imports  # the layers stay one-way (pyproject.toml [tool.importlinter])
	$(VENV)/bin/pytest -q

.PHONY: install demo test chromium
