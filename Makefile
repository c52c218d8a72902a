# Setup is automatic: each target creates .venv (with a CPU build of torch) when it is missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The torch to install when the venv has none. Pick another build with, e.g.
#   make TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cu128" demo
TORCH_SPEC ?= torch==2.13.0

.PHONY: demo test install clean

demo: $(VENV)/.installed
	$(PY) -m minformer.cli.main demo --output runs/demo --overwrite

test: $(VENV)/.installed
	HF_HUB_OFFLINE=1 $(PY) -m pytest -q

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q $(TORCH_SPEC)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info
