# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := PORTAL_ENV=$${PORTAL_ENV:-development} $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench system translations extract-messages vendor clean

# WeasyPrint (pdf/) takes Pango and HarfBuzz's subsetter from the system, not from pip:
# installed with apt-get when they are missing and make runs as root, else named.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
HAVE_SYSTEM_LIBRARIES := import ctypes.util, sys; \
  sys.exit(not all(ctypes.util.find_library(name) for name in ("pango-1.0", "pangoft2-1.0", "harfbuzz-subset")))

system:
	@$(PYTHON) -c '$(HAVE_SYSTEM_LIBRARIES)' || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(SYSTEM_PACKAGES) for WeasyPrint"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "WeasyPrint (PDF documents) needs Pango: sudo apt-get install $(SYSTEM_PACKAGES)" >&2; \
	    exit 1; \
	  fi; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

translations: $(VENV)/.runtime
	$(BIN)/pybabel --quiet compile -d webapp/translations -D messages

extract-messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -k _l -k lazy_gettext -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching

run: system translations
	$(FLASK) db upgrade
	$(FLASK) data demo --if-empty
	@echo
	@echo "  Portal:                         http://$(HOST):$(PORT)"
	@echo "  Development identity provider:  http://127.0.0.1:9400 (pick a demo person on its page)"
	@echo
	@$(FLASK) dev-idp & idp=$$!; trap 'kill $$idp 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy

test: system $(VENV)/.dev translations lint
	PORTAL_ENV=testing $(BIN)/pytest

bench: system $(VENV)/.dev translations
	@for script in bench/*.py; do PORTAL_ENV=testing PYTHONPATH=. $(BIN)/python $$script || exit 1; done

# Refresh the vendored front-end files and the PDF fonts from the npm registry (package.json
# pins them).
# Swagger UI (for /api/openapi/index.html) goes without its source maps, so any
# sourceMappingURL comment is stripped and the browser never asks for a missing file.
vendor:
	npm ci --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js webapp/static/vendor/htmx.min.js
	cp node_modules/axe-core/axe.min.js tests/browser/vendor/axe.min.js
	mkdir -p webapp/static/vendor/swagger-ui
	sed '/^[/][/*]# sourceMappingURL=/d' node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	  > webapp/static/vendor/swagger-ui/swagger-ui-bundle.js
	sed '/^[/][/*]# sourceMappingURL=/d' node_modules/swagger-ui-dist/swagger-ui.css \
	  > webapp/static/vendor/swagger-ui/swagger-ui.css
	cp node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE \
	  node_modules/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt webapp/static/vendor/swagger-ui/
	cd node_modules/dejavu-fonts-ttf && cp ttf/DejaVuSans.ttf ttf/DejaVuSans-Bold.ttf \
	  ttf/DejaVuSans-Oblique.ttf ttf/DejaVuSans-BoldOblique.ttf LICENSE ../../pdf/fonts/

clean:
	rm -rf $(VENV) instance/portal.db .pytest_cache .ruff_cache .mypy_cache
	find webapp/translations -name '*.mo' -delete
