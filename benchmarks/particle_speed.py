r"""Environment steps per second of cooperative navigation, against mpe2.

Times our `CooperativeNavigation` through the TF-Agents `PyEnvironment.step`
API (auto-reset on, every agent's observation and the global state built each
step) with uniformly random actions drawn beforehand, on one core: the
"antipodal" game (4 agents) and the "spread" scenario with 3 agents. If
`mpe2` is importable it also times mpe2's ``simple_spread_v3`` parallel
environment (3 agents, discrete actions, the same episode length) and prints
our speed over it. Times are process CPU time, so other work on the machine
does not count.

mpe2 1.1.1 requires pygame-ce, which installs over the ``pygame`` module that
tf-agents pins (2.1.3); install it without dependencies:
``pip install --no-deps mpe2==1.1.1``.

  python -m benchmarks.particle_speed --steps=20000
"""

from __future__ import annotations

import sys
import time
from typing import Optional

from absl import app
from absl import flags
import numpy as np

from benchmarks import bench_lib

FLAGS = flags.FLAGS

EPISODE_STEPS = 50  # Our default time limit; mpe2 gets the same.


def ours_steps_per_s(steps: int, scenario: str = "antipodal",
                     num_agents: Optional[int] = None) -> float:
  """CPU-time steps/s of our environment with random actions."""
  from environments.particle import navigation  # pylint: disable=g-import-not-at-top
  env = navigation.CooperativeNavigation(scenario, num_agents=num_agents,
                                         max_steps=EPISODE_STEPS, seed=0)
  return bench_lib.random_steps_per_s(env, navigation.NUM_ACTIONS, steps)


def mpe2_available() -> bool:
  try:
    import mpe2  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    return False
  return True


def mpe2_steps_per_s(steps: int, num_agents: int = 3) -> float:
  """CPU-time steps/s of mpe2's simple_spread_v3 (parallel, discrete)."""
  from mpe2 import simple_spread_v3  # pylint: disable=g-import-not-at-top
  env = simple_spread_v3.parallel_env(N=num_agents, max_cycles=EPISODE_STEPS,
                                      continuous_actions=False)
  env.reset(seed=0)
  rng = np.random.default_rng(0)
  columns = rng.integers(0, 5, (steps, num_agents))
  actions = [dict(zip(env.possible_agents, row)) for row in columns]
  start = time.process_time()
  for action in actions:
    if not env.agents:
      env.reset()
    env.step(action)
  return steps / (time.process_time() - start)


def _define_flags() -> None:
  """Defined when run as a program only, so tests can import the module."""
  flags.DEFINE_integer("steps", 20_000, "Timed steps per measurement.")
  flags.DEFINE_integer("repeats", 3, "Measurements per setting (best kept).")


def _best(measure, *args) -> float:
  return max(measure(*args) for _ in range(FLAGS.repeats))


def main(argv):
  del argv
  if FLAGS.steps < 1 or FLAGS.repeats < 1:
    print("--steps and --repeats must be >= 1", file=sys.stderr)
    sys.exit(2)
  ours_4 = _best(ours_steps_per_s, FLAGS.steps, "antipodal")
  print(f"{'ours antipodal (4 agents)':<32}{ours_4:>10.0f} steps/s")
  ours_3 = _best(ours_steps_per_s, FLAGS.steps, "spread", 3)
  print(f"{'ours spread (3 agents)':<32}{ours_3:>10.0f} steps/s")
  if not mpe2_available():
    print("mpe2 not importable: no comparison "
          "(pip install --no-deps mpe2==1.1.1)")
    return
  theirs = _best(mpe2_steps_per_s, FLAGS.steps, 3)
  print(f"{'mpe2 simple_spread_v3 (3)':<32}{theirs:>10.0f} steps/s")
  print(f"ours (3 agents) / mpe2 (3 agents): {ours_3 / theirs:.2f}x")
  print(f"ours (4 agents) / mpe2 (3 agents): {ours_4 / theirs:.2f}x")


if __name__ == "__main__":
  _define_flags()
  app.run(main)
