# Setup is automatic: each target creates .venv (with a CPU build of torch) when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The torch to install when the venv has none. Pick another build with, e.g.
#   make TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cu128" demo
TORCH_SPEC ?= torch==2.13.0
# A second venv with the oldest transformers minformer supports (pyproject's floor): `make test` runs the model and
# integration tests there too, so both ends of the supported range are tested.
LOWEST_VENV         ?= .venv-lowest
LOWEST_TRANSFORMERS ?= 5.16.1

.PHONY: demo test install clean

demo: $(VENV)/.installed
	$(PY) -m minformer.cli.main demo --output runs/demo --overwrite

test: $(VENV)/.installed $(LOWEST_VENV)/.installed
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q
	HF_HUB_OFFLINE=1 $(LOWEST_VENV)/bin/python -m pytest -q tests/modeling tests/integrations

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

$(LOWEST_VENV)/.installed: pyproject.toml
	test -x $(LOWEST_VENV)/bin/python || $(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(LOWEST_VENV)/bin/python -c "import torch" 2>/dev/null || $(LOWEST_VENV)/bin/python -m pip install -q $(TORCH_SPEC)
	$(LOWEST_VENV)/bin/python -m pip install -q -e ".[dev]" "transformers==$(LOWEST_TRANSFORMERS)"
	touch $@

clean:
	rm -rf $(VENV) $(LOWEST_VENV) build *.egg-info
