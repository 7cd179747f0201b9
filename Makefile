# Two commands do all setup on a fresh machine with only Python:
#   make preview   offline preview of the dev stack (no cloud, no Pulumi CLI)
#   make test      the test suite (two pytest-xdist workers: it is CPU-bound; see docs/performance.md)
#   make loop-demo the deployment loop end to end on this machine (ECR in moto on 127.0.0.1, bare git
#                  remotes): promote dev -> staging -> prod, rollback with its hold, release, history
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: preview test check render clean loop-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when the dependency list changes. Exact versions from requirements.lock (pip-compile; upgrades
# are their own change: docs/dependencies.md).
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[aws,gcp]'
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

preview: $(VENV)/.installed
	$(BIN)/stackctl preview $(STACK)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

loop-demo: $(VENV)/.installed-test
	$(BIN)/python examples/loop_demo.py .loop-demo

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info .loop-demo
