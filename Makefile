# Two commands: `make demo` (set up + run a real experiment), `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= runs/demo_er21

.PHONY: setup toolchain test pytest demo benchmark clean

# Idempotent: the venv is built once (again when setup.py changes); the
# Bazel Python toolchain is rewritten each time, so a moved checkout works.
setup: $(VENV)/.installed toolchain

$(VENV)/.installed: setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	# mpe2 (for benchmarks/particle_speed.py) requires pygame-ce, which would
	# overwrite the pygame that tf-agents pins; it runs on that pygame.
	$(PY) -m pip install --quiet --no-deps mpe2==1.1.1
	touch $@

toolchain: $(VENV)/.installed
	tools/gen_python_toolchain.sh $(PY)

# Every Bazel py_test; the last line is "N passed, N failed" (test targets).
test: setup
	@command -v bazel >/dev/null || { apt-get update -q && apt-get install -y -q bazel-bootstrap bazel-rules-java; }
	set -o pipefail; targets="$$(bazel query --keep_going 'tests(//...)' 2>/dev/null || true)"; \
	    bazel test //... 2>&1 | $(PY) tools/bazel_summary.py $$targets

# The same tests under pytest.
pytest: setup
	$(PY) -m pytest tests -q

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
	-command -v bazel >/dev/null && bazel clean
	rm -rf $(VENV) *.egg-info third_party/python_toolchain/BUILD
