# Samtale: `make run` to start the bot, `make test` for everything CI checks. `make help` lists all.
PYTHON ?= python3
ENGINE := .venv-engine/bin
VENV := .venv/bin
SPACY_MODEL := var/spacy/da_samtale
MODEL := models/samtale.tar.gz
RASA_DATA := $(shell find nlu stories domain -name '*.yml' 2>/dev/null) config.yml
# Our own pipeline components, as config.yml names them (engine.minilm.MiniLMFeaturizer -> engine/minilm.py).
NLU_COMPONENTS := $(shell grep -o 'engine\.[a-z_]*\.' config.yml | sort -u | sed 's/\.$$//; s|\.|/|; s/$$/.py/')
RASA_ARGS := --data nlu stories --domain domain --config config.yml
export PYTHONPATH := $(CURDIR)
# Rasa would otherwise phone home (telemetry, Sentry); this machine reaches package registries only.
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup run shell train validate test test-stories test-python chromium bench clean migrate admin

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

setup: .venv/.installed .venv-engine/.installed $(SPACY_MODEL)/meta.json ## create both environments (idempotent)

# The Rasa engine: exact pins, installed without resolving (Rasa 3.6 declares Python <3.11).
.venv-engine/.installed: requirements/engine.txt
	test -x $(ENGINE)/python || $(PYTHON) -m venv .venv-engine
	$(ENGINE)/pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python -r requirements/engine.txt
	touch $@

# The project's own code: actions, store, web service (modern libraries, rasa-sdk 3.21).
.venv/.installed: pyproject.toml
	test -x $(VENV)/python || $(PYTHON) -m venv .venv
	$(VENV)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

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

migrate: setup ## create or upgrade the database tables (also done by make run)
	$(VENV)/python -m bot migrate

# Asks for the username here and for the password (twice, hidden) in bot/cli.py; never a default.
admin: setup migrate ## create a staff admin account for the browser pages (/staff/login)
	@read -p "Username for the new admin: " username && $(VENV)/python -m bot admin create "$$username" --role admin

shell: ## chat with the running bot in this terminal
	$(VENV)/python -m bot.launcher shell

validate: setup ## check the Rasa training data and domain
	$(ENGINE)/rasa data validate $(RASA_ARGS)

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
