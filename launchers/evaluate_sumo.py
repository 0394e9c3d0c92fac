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
``--scripted`` adds a column "selfish": each car steers to its own goal
lane at constant speed and ignores the other (`merge.selfish_actions`), the
score an agent gets without any cooperation; ``--config=train`` evaluates
on the training distribution.

  python -m launchers.evaluate_sumo --scripted --config=train --config=C1
"""

import json
import os
from typing import Dict, List

from absl import flags
import numpy as np

from mmagents.core import experiment_io
from mmagents.core import launch

CONFIGS = ("C1", "C2", "C3", "C4")
SCRIPTED = "selfish"
flags.DEFINE_multi_string("run", [], "LABEL=RUN_DIR of a trained SUMO run "
                          "(cm3_sumo, iac_sumo, coma_sumo, qmix_sumo).")
flags.DEFINE_bool("scripted", False, f"Add the column {SCRIPTED!r}: the "
                  "scripted policy that ignores the other car.")
flags.DEFINE_multi_enum("config", list(CONFIGS), list(CONFIGS) + ["train"],
                        "Configurations (repeat); train: the training one.")
flags.DEFINE_integer("episodes", 100, "Test episodes per configuration.",
                     lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the test environments.")
flags.DEFINE_string("out", "", "JSON path of the table.")
FLAGS = flags.FLAGS


def _runs() -> Dict[str, str]:
  runs = {}
  for text in FLAGS.run:
    label, sep, root = text.partition("=")
    if not sep or not label or not root:
      raise experiment_io.UsageError(f"--run wants LABEL=DIR, got {text!r}")
    runs[label] = root
  if not runs and not FLAGS.scripted:
    raise experiment_io.UsageError("give --run=LABEL=DIR or --scripted")
  if FLAGS.scripted and SCRIPTED in runs:
    raise experiment_io.UsageError(f"label {SCRIPTED!r} is the scripted "
                                   "policy's; pick another")
  return runs


def _play(env, choose, episodes: int) -> float:
  """Mean over `episodes` of the agents' summed rewards under `choose`."""
  totals: List[float] = []
  try:
    for _ in range(episodes):
      step = env.reset()
      total = 0.0
      while not step.is_last():
        step = env.step(choose(step))
        total += float(np.sum(step.reward))
      totals.append(total)
  finally:
    env.close()
  return float(np.mean(totals))


def evaluate(root: str, config: str, episodes: int, seed: int) -> float:
  """Mean summed reward of the run's evaluation policy on `config`."""
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  from mmagents.core import restore  # pylint: disable=g-import-not-at-top
  agent, make_env = restore.load_agent(root, env_overrides={
      "config": config, "stage1": False})
  policy = py_tf_eager_policy.PyTFEagerPolicy(
      agent.policy, use_tf_function=True, batch_time_steps=True)
  return _play(make_env(seed), lambda step: policy.action(step).action,
               episodes)


def evaluate_scripted(config: str, episodes: int, seed: int) -> float:
  """Mean summed reward of `merge.selfish_actions` on `config`."""
  from environments.sumo import merge  # pylint: disable=g-import-not-at-top
  env = merge.DoubleLaneMerge(config=config, seed=seed)

  def choose(step):
    actions = merge.selfish_actions(
        np.stack([step.observation[a] for a in env.agent_ids]))
    return dict(zip(env.agent_ids, actions))

  return _play(env, choose, episodes)


def main(argv):
  del argv
  runs = _runs()
  for label, root in runs.items():
    with open(os.path.join(root, "experiment.json"), encoding="utf-8") as f:
      env_name = json.load(f).get("env")
    if env_name != "sumo_merge":
      raise experiment_io.UsageError(
          f"{label}: {root} is a run on {env_name!r}, not on sumo_merge")
  table = {}
  for config in FLAGS.config:
    row = {label: evaluate(root, config, FLAGS.episodes, FLAGS.seed)
           for label, root in runs.items()}
    if FLAGS.scripted:
      row[SCRIPTED] = evaluate_scripted(config, FLAGS.episodes, FLAGS.seed)
    table[config] = row
  labels = list(runs) + ([SCRIPTED] if FLAGS.scripted else [])
  print(f"{'config':<8}" + "".join(f"{label:>10}" for label in labels))
  for config, row in table.items():
    print(f"{config:<8}" + "".join(f"{row[label]:>10.2f}" for label in labels))
  out = FLAGS.out or os.path.join(next(iter(runs.values()), "."),
                                  "sumo_generalization.json")
  experiment_io.write_json(out, {"episodes": FLAGS.episodes,
                                 "seed": FLAGS.seed, "table": table})
  print(f"wrote {out}")


if __name__ == "__main__":
  launch.run(main)
