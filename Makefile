# Samtale: `make run` to start the bot, `make test` for everything CI checks. `make help` lists all.
PYTHON ?= python3
ENGINE := .venv-engine/bin
VENV := .venv/bin
SPACY_MODEL := var/spacy/da_samtale
MODEL := models/samtale.tar.gz
LOCK := requirements/project.lock
UV_VERSION := 0.13.9
RASA_DATA := $(shell find nlu stories domain -name '*.yml' 2>/dev/null) config.yml
# Our own pipeline components, as config.yml names them (engine.minilm.MiniLMFeaturizer -> engine/minilm.py).
NLU_COMPONENTS := $(shell grep -o 'engine\.[a-z_]*\.' config.yml | sort -u | sed 's/\.$$//; s|\.|/|; s/$$/.py/')
RASA_ARGS := --data nlu stories --domain domain --config config.yml
export PYTHONPATH := $(CURDIR)
# Rasa would otherwise phone home (telemetry, Sentry); this machine reaches package registries only.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup run shell train validate plan-domain test test-stories test-python chromium bench clean retention lock migrate admin

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: .venv/.installed .venv-engine/.installed $(SPACY_MODEL)/meta.json ## create both environments (idempotent)

# The Rasa engine: exact pins, installed without resolving (Rasa 3.6 declares Python <3.11).
.venv-engine/.installed: requirements/engine.txt
	test -x $(ENGINE)/python || $(PYTHON) -m venv .venv-engine
	$(ENGINE)/pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python -r requirements/engine.txt
	touch $@

# The project's own code: actions, store, web service (modern libraries, rasa-sdk 3.21).
# Exactly the locked versions, hash-checked; then our package without resolving anything more
# (setuptools comes from the lock too). pip check fails if pyproject.toml wants what the lock
# lacks: then `make lock`.
.venv/.installed: pyproject.toml $(LOCK)
	test -x $(VENV)/python || $(PYTHON) -m venv .venv
	$(VENV)/pip install --quiet --disable-pip-version-check --require-hashes -r $(LOCK)
	$(VENV)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(VENV)/pip check || { echo "pyproject.toml needs more than $(LOCK) holds: run make lock"; exit 1; }
	touch $@

# The lock: every package of .venv (with the dev extra) at one version, with PyPI's hashes.
# uv keeps the versions already locked that still fit, so adding a dependency changes little;
# `make lock UPGRADE=1` moves everything to the newest versions.
lock: ## regenerate requirements/project.lock from pyproject.toml (exact versions + hashes)
	test -x $(VENV)/python || $(PYTHON) -m venv .venv
	test -x $(VENV)/uv || $(VENV)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
		--custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade) -o $(LOCK)

$(SPACY_MODEL)/meta.json: .venv-engine/.installed engine/prepare_spacy.py
	$(ENGINE)/python engine/prepare_spacy.py $(SPACY_MODEL)

# make decides when to train: data, config or our own NLU components changed. --force, because
# Rasa's own fingerprint does not see the components' code.
$(MODEL): $(RASA_DATA) $(NLU_COMPONENTS) $(SPACY_MODEL)/meta.json
	$(ENGINE)/rasa train $(RASA_ARGS) --out models --fixed-model-name samtale --force
	touch $@

train: setup $(MODEL) ## train the Rasa model if the data changed

run: setup $(MODEL) ## start Rasa (5005), actions (5055) and the web service (8000)
	$(VENV)/python -m bot.launcher run

retention: .venv/.installed ## delete what is older than RETENTION_DAYS now (the web service does it hourly)
	$(VENV)/python -m bot.retention

migrate: setup ## create or upgrade the database tables (also done by make run)
	$(VENV)/python -m bot migrate

# Asks for the username here and for the password (twice, hidden) in bot/cli.py; never a default.
admin: setup migrate ## create a staff admin account for the browser pages (/staff/login)
	@printf 'Username for the new admin: ' && read username && $(VENV)/python -m bot admin create "$$username" --role admin

shell: ## chat with the running bot in this terminal
	$(VENV)/python -m bot.launcher shell

validate: setup ## check the Rasa training data and domain (and that domain/questions.yml is derived from conversations.yml)
	$(VENV)/python -m actions.plan_domain --check
	$(ENGINE)/rasa data validate $(RASA_ARGS)

plan-domain: .venv/.installed ## write domain/questions.yml from conversations.yml
	$(VENV)/python -m actions.plan_domain

test-stories: setup $(MODEL) ## Rasa test stories (tests/stories) against the trained model
	$(ENGINE)/rasa test core --stories tests/stories --model $(MODEL) --out var/test-stories --fail-on-prediction-errors

# The widget's browser tests drive Debian's Chromium (Playwright cannot download its own here).
chromium: ## install Debian's Chromium for the widget's browser tests
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test-python: setup $(MODEL) chromium ## pytest: units, store on SQLite and PostgreSQL, end-to-end
	$(VENV)/python -m pytest

test: validate test-python test-stories ## everything CI runs

bench: setup $(MODEL) ## NLU cross-validation, latency, training and start-up times; updates README
	$(VENV)/python -m bench.run

clean: ## remove trained models and test output (keeps the environments and the database)
	rm -rf models results var/test-* var/exp
