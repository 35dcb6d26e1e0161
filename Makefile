# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := PORTAL_ENV=$${PORTAL_ENV:-development} $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench translations extract-messages vendor clean

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

run: translations
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

test: $(VENV)/.dev translations lint
	PORTAL_ENV=testing $(BIN)/pytest

bench: $(VENV)/.dev translations
	@for script in bench/*.py; do PORTAL_ENV=testing PYTHONPATH=. $(BIN)/python $$script || exit 1; done

# Refresh the vendored front-end files from the npm registry (package.json pins them).
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

clean:
	rm -rf $(VENV) instance/portal.db .pytest_cache .ruff_cache .mypy_cache
	find webapp/translations -name '*.mo' -delete
