r"""Environment steps per second of Cleanup and Harvest, with observations.

Each game steps through the TF-Agents `PyEnvironment.step` API (auto-reset
on, every agent's egocentric view built each step) with uniformly random
actions drawn beforehand, on one core; the time is the process CPU time, so
other work on the machine does not count. Prints steps/s and the ratio to
the named baseline: the 3,000 steps/s floor set for the original Cleanup map
with 5 agents.

With ``--meltingpot_python`` (the interpreter of a separate venv with
``dm-meltingpot``) it also times Melting Pot's ``clean_up`` substrate (7
players) and prints our original-map Cleanup speed over it.

  python -m benchmarks.ssd_speed --steps=20000
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Callable, Dict

from absl import app
from absl import flags
import numpy as np

flags.DEFINE_integer("steps", 20_000, "Timed steps per game.")
flags.DEFINE_integer("repeats", 3, "Measurements per game (best kept).")
flags.DEFINE_string("meltingpot_python", "",
                    "Python of a venv with dm-meltingpot, to time clean_up.")
FLAGS = flags.FLAGS

FLOOR_STEPS_PER_S = 3000.0
_MELTINGPOT_SNIPPET = """
import sys, time
import numpy as np
from meltingpot import substrate
steps = int(sys.argv[1])
config = substrate.get_config("clean_up")
env = substrate.build_from_config(config, roles=config.default_player_roles)
env.reset()
rng = np.random.default_rng(0)
n = len(config.default_player_roles)
actions = rng.integers(0, 9, (steps, n))
start = time.process_time()
for a in actions:
  if env.step(list(a)).last():
    env.reset()
print(steps / (time.process_time() - start))
"""


def _games() -> Dict[str, Callable[[], object]]:
  from environments.ssd import cleanup  # pylint: disable=g-import-not-at-top
  from environments.ssd import harvest  # pylint: disable=g-import-not-at-top
  return {
      "cleanup (25x18, 5 agents)": lambda: cleanup.make("ssd", seed=0),
      "cleanup_small_sym (7x7, 2)": lambda: cleanup.make("lio", seed=0),
      "cleanup_10x10_sym (2)": lambda: cleanup.make(
          "lio", "cleanup_10x10_sym", seed=0),
      "harvest (16x38, 5 agents)": lambda: harvest.Harvest(seed=0),
  }


def steps_per_s(env, steps: int) -> float:
  """CPU-time steps/s of `env.step` with random actions drawn beforehand."""
  rng = np.random.default_rng(0)
  specs = env.action_spec()
  columns = {a: rng.integers(0, int(s.maximum) + 1, steps).astype(np.int32)
             for a, s in specs.items()}
  actions = [{a: column[t] for a, column in columns.items()}
             for t in range(steps)]
  env.reset()
  start = time.process_time()
  for action in actions:
    env.step(action)
  return steps / (time.process_time() - start)


def meltingpot_steps_per_s(python: str, steps: int) -> float:
  out = subprocess.run([python, "-c", _MELTINGPOT_SNIPPET, str(steps)],
                       check=True, capture_output=True, text=True)
  return float(out.stdout.strip().splitlines()[-1])


def main(argv):
  del argv
  if FLAGS.steps < 1 or FLAGS.repeats < 1:
    print("--steps and --repeats must be >= 1", file=sys.stderr)
    sys.exit(2)
  print(f"{'game':<30}{'steps/s':>10}{'vs 3,000 floor':>16}")
  results = {}
  for name, make in _games().items():
    best = max(steps_per_s(make(), FLAGS.steps) for _ in range(FLAGS.repeats))
    results[name] = best
    print(f"{name:<30}{best:>10.0f}{best / FLOOR_STEPS_PER_S:>15.2f}x")
  if FLAGS.meltingpot_python:
    theirs = meltingpot_steps_per_s(FLAGS.meltingpot_python, FLAGS.steps)
    ours = results["cleanup (25x18, 5 agents)"]
    print(f"{'meltingpot clean_up (7)':<30}{theirs:>10.0f}")
    print(f"ours / meltingpot: {ours / theirs:.2f}x")


if __name__ == "__main__":
  app.run(main)
