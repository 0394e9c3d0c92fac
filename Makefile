# Two commands: `make demo` (set up + run a real experiment), `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= runs/demo_pg_er21

.PHONY: setup test pytest demo benchmark clean

setup: $(VENV)/.installed third_party/python_toolchain/BUILD

$(VENV)/.installed: setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

third_party/python_toolchain/BUILD: third_party/python_toolchain/BUILD.tpl tools/gen_python_toolchain.sh
	tools/gen_python_toolchain.sh $(PY)

# Every Bazel py_test; the last line is "N passed, N failed".
test: setup
	@command -v bazel >/dev/null || { apt-get update -q && apt-get install -y -q bazel-bootstrap bazel-rules-java; }
	set -o pipefail; bazel test //... 2>&1 | $(PY) tools/bazel_summary.py

# The same tests under pytest.
pytest: setup
	$(PY) -m pytest -q

# PG on Escape Room ER(2,1): trains 10k episodes (about a minute), then plots.
demo: setup
	$(PY) -m launchers.pg_escape_room --root_dir=$(DEMO_DIR) --num_episodes=10000
	$(PY) -m launchers.plot --group 'PG=$(DEMO_DIR)' --out=$(DEMO_DIR)/learning_curve.png \
	    --title 'PG on Escape Room ER(2,1)'
	@echo "Results: $(DEMO_DIR)/metrics.jsonl, $(DEMO_DIR)/summary.json, $(DEMO_DIR)/learning_curve.png"
	@echo "TensorBoard: $(VENV)/bin/tensorboard --logdir $(DEMO_DIR)"

benchmark: setup
	$(PY) -m benchmarks.env_throughput

clean:
	-bazel clean
	rm -rf $(VENV) runs *.egg-info third_party/python_toolchain/BUILD
