r"""Trained double-merge policies on the heavy-traffic test configurations
(thesis Table A.1).

  python -m launchers.evaluate_sumo --run=CM3=runs/cm3_sumo \
      --run=IAC=runs/iac_sumo --run=COMA=runs/coma_sumo --episodes=100

For each configuration (C1: lanes [1, 2] → goals [3, 0]; C2: random;
C3: [1, 2] → [2, 1]; C4: [0, 1] → [3, 2]; all with SUMO-controlled cars
and trucks), each run's evaluation policy (no exploration) plays
``--episodes`` episodes; prints the mean over episodes of the sum of the
agents' rewards in Table A.1's layout and writes the table as JSON
(``--out``, default ``sumo_generalization.json`` in the first run).
"""

import json
import os
from typing import Dict, List

from absl import flags
import numpy as np

from mmagents.core import experiment_io
from mmagents.core import launch

CONFIGS = ("C1", "C2", "C3", "C4")
flags.DEFINE_multi_string("run", None, "LABEL=RUN_DIR of a trained SUMO run "
                          "(cm3_sumo, iac_sumo, coma_sumo, qmix_sumo).")
flags.DEFINE_multi_enum("config", list(CONFIGS), list(CONFIGS),
                        "Test configurations (repeat).")
flags.DEFINE_integer("episodes", 100, "Test episodes per configuration.",
                     lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the test environments.")
flags.DEFINE_string("out", "", "JSON path of the table.")
flags.mark_flag_as_required("run")
FLAGS = flags.FLAGS


def _runs() -> Dict[str, str]:
  runs = {}
  for text in FLAGS.run:
    label, sep, root = text.partition("=")
    if not sep or not label or not root:
      raise experiment_io.UsageError(f"--run wants LABEL=DIR, got {text!r}")
    runs[label] = root
  return runs


def evaluate(root: str, config: str, episodes: int, seed: int) -> float:
  """Mean summed reward of the run's evaluation policy on `config`."""
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  from mmagents.core import restore  # pylint: disable=g-import-not-at-top
  agent, make_env = restore.load_agent(root, env_overrides={
      "config": config, "stage1": False})
  env = make_env(seed)
  policy = py_tf_eager_policy.PyTFEagerPolicy(
      agent.policy, use_tf_function=True, batch_time_steps=True)
  totals: List[float] = []
  try:
    for _ in range(episodes):
      step = env.reset()
      total = 0.0
      while not step.is_last():
        step = env.step(policy.action(step).action)
        total += float(np.sum(step.reward))
      totals.append(total)
  finally:
    env.close()
  return float(np.mean(totals))


def main(argv):
  del argv
  runs = _runs()
  for label, root in runs.items():
    with open(os.path.join(root, "experiment.json"), encoding="utf-8") as f:
      env_name = json.load(f).get("env")
    if env_name != "sumo_merge":
      raise experiment_io.UsageError(
          f"{label}: {root} is a run on {env_name!r}, not on sumo_merge")
  table = {config: {label: evaluate(root, config, FLAGS.episodes, FLAGS.seed)
                    for label, root in runs.items()}
           for config in FLAGS.config}
  print(f"{'config':<8}" + "".join(f"{label:>10}" for label in runs))
  for config, row in table.items():
    print(f"{config:<8}" + "".join(f"{row[label]:>10.2f}" for label in runs))
  out = FLAGS.out or os.path.join(next(iter(runs.values())),
                                  "sumo_generalization.json")
  experiment_io.write_json(out, {"episodes": FLAGS.episodes,
                                 "seed": FLAGS.seed, "table": table})
  print(f"wrote {out}")


if __name__ == "__main__":
  launch.run(main)
