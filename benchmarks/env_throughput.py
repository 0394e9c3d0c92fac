r"""Environment throughput: TF-Agents driver with the PG policy vs plain NumPy.

For each environment, measures steps per second of
  * driver: a `DynamicStepDriver` under `tf.function` stepping a
    `TFPyEnvironment` with the PG agent's collect policy (one batched policy
    call for all agents per step), as training collects data;
  * numpy (the baseline): the same `PyEnvironment` stepped in a Python loop
    with uniformly random NumPy actions, no TensorFlow at all;
and prints the ratio driver / numpy (the share of raw environment speed that
survives the TF-Agents machinery). A second driver row steps ``--batch``
environments as one batch, one policy call for all of them per step.

  python -m benchmarks.env_throughput --steps=20000
"""

from __future__ import annotations

import time

from mmagents.core import launch  # pylint: disable=g-import-not-at-top,unused-import
from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

flags.DEFINE_integer("steps", 20_000, "Environment steps per measurement.")
flags.DEFINE_integer("repeats", 3, "Measurements per setting (best kept).")
flags.DEFINE_integer("batch", 16, "Environments in the batched driver row.")
FLAGS = flags.FLAGS

ENVS = {
    "escape_room(2,1)": ("escape_room", {"num_agents": 2, "min_at_lever": 1}),
    "escape_room(3,2)": ("escape_room", {"num_agents": 3, "min_at_lever": 2}),
    "ipd": ("ipd", {}),
}


def numpy_steps_per_s(env, steps: int) -> float:
  """Steps/s of a Python loop with random NumPy actions."""
  rng = np.random.default_rng(0)
  specs = env.action_spec()
  highs = {a: int(s.maximum) + 1 for a, s in specs.items()}
  env.reset()
  start = time.perf_counter()
  for _ in range(steps):
    env.step({a: rng.integers(h) for a, h in highs.items()})
  return steps / (time.perf_counter() - start)


def driver_steps_per_s(py_envs, steps: int) -> float:
  """Steps/s of a tf.function DynamicStepDriver with the PG collect policy.

  With several environments they form one batch: every policy call then
  serves all agents of all environments.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.drivers import dynamic_step_driver  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import batched_py_environment  # pylint: disable=g-import-not-at-top
  from tf_agents.environments import tf_py_environment  # pylint: disable=g-import-not-at-top
  from mmagents.agents import pg  # pylint: disable=g-import-not-at-top
  batch = (py_envs[0] if len(py_envs) == 1 else
           batched_py_environment.BatchedPyEnvironment(
               py_envs, multithreading=False))
  tf_env = tf_py_environment.TFPyEnvironment(batch)
  agent = pg.PolicyGradientAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                                 py_envs[0].agent_ids)
  driver = dynamic_step_driver.DynamicStepDriver(
      tf_env, agent.collect_policy, observers=[], num_steps=steps)
  run = tf.function(driver.run)
  run(tf_env.reset())                 # Trace once outside the timing.
  start = time.perf_counter()
  run(tf_env.current_time_step())
  return steps / (time.perf_counter() - start)


def main(argv):
  del argv
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from environments import registry  # pylint: disable=g-import-not-at-top
  tf.get_logger().setLevel("ERROR")  # Each measurement traces a new driver.
  print(f"{'environment':<18}{'envs':>5}{'driver steps/s':>16}"
        f"{'numpy steps/s':>16}{'driver/numpy':>14}")
  for label, (name, kwargs) in ENVS.items():
    make = lambda: registry.make(name, seed=0, **kwargs)  # pylint: disable=cell-var-from-loop
    raw = max(numpy_steps_per_s(make(), FLAGS.steps)
              for _ in range(FLAGS.repeats))
    for num_envs in (1, FLAGS.batch):
      drv = max(driver_steps_per_s([make() for _ in range(num_envs)],
                                   FLAGS.steps)
                for _ in range(FLAGS.repeats))
      print(f"{label:<18}{num_envs:>5}{drv:>16,.0f}{raw:>16,.0f}"
            f"{drv / raw:>14.3f}")


if __name__ == "__main__":
  app.run(main)
