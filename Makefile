# BrokerCRM: `make demo` and `make test` do everything on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEMO_CLIENTS ?= 2000
DEMO_DAYS ?= 540
DEMO_HISTORY_MONTHS ?= 0
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= auto

# The full durability soak (PostgreSQL + Redis): kill -9 of a worker, 5 trials each.
SOAK := SOAK_TRIALS=5 SOAK_ROWS=1000000 SOAK_CLIENTS=1000

.PHONY: soak audit lock demo test lint format install migrate seed serve bench services clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo --clients $(DEMO_CLIENTS) --days $(DEMO_DAYS)
	$(PY) manage.py train_churn_model
	@# `make seed DEMO_HISTORY_MONTHS=2`: the last 2 month ends first (oldest first), so
	@# the managers' pages have months to compare and trends to draw (their runs also
	@# leave the advisors a backlog of overdue generated tasks); then yesterday.
	for day in $$($(PY) -c "import datetime as t; d=t.date.today(); e=[d:=d.replace(day=1)-t.timedelta(1) for _ in range($(DEMO_HISTORY_MONTHS))]; print(*reversed(e))"); do \
	  $(PY) manage.py recompute --date $$day || exit 1; done
	$(PY) manage.py recompute

serve:
	@echo "BrokerCRM is serving on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

demo: seed serve

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# Supply chain: bandit, the lock against the installed packages, pip-audit of the lock.
audit: install
	bash scripts/supply-chain

# requirements.lock: the exact versions of every installed package (runtime and dev).
lock: install
	{ echo "# Exact versions installed by 'make install' (make lock); audited by pip-audit."; \
	  $(PIP) freeze --exclude-editable | grep -v '^-e '; } > requirements.lock

soak: install
	$(SOAK) $(VENV)/bin/pytest -p no:cacheprovider -v tests/brokercrm/test_durability.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

services:
	bash scripts/services-up

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
