r"""How well a CM3 or QV run's baseline estimates V_n(s) (thesis §3.3.2).

  python -m launchers.cm3_baselines --run=CM3=runs/cm3_antipodal \
      --run=QV=runs/qv_antipodal --num_episodes=10

With exact critics the credit function's counterfactual baseline
Σ_â π̃(â|o^m) Q_n(s, â^m) equals V_n(s) (Eq. 3.3), which is also QV's
baseline, so CM3 and its QV ablation differ only in how well the learned
baseline approximates it. For each run this plays ``--num_episodes``
episodes with the behaviour policy, computes V_n(s) exactly from the run's
global Q (all A^N joint actions under π̃) at every visited state, and
prints, summed over goals n as in the policy gradient's weights:

* ``value_std``: the spread of Σ_n V_n(s) over the visited states;
* ``baseline_rms_error``: RMS over (state, agent m) of Σ_n (b_{n,m} − V_n);
* ``weight_rms``: RMS of the weights Σ_n (Q_n(s, a) − b_{n,m}) at the
  actions taken, and ``exact_weight_rms`` the same with b = V.

Writes the numbers to --out as JSON when given.
"""

import json
import os
from typing import Dict, List, Tuple

from absl import flags
import numpy as np
import tensorflow as tf

from mmagents.core import experiment_io
from mmagents.core import launch
from mmagents.core import restore

flags.DEFINE_multi_string("run", None, "[LABEL=]DIR of a CM3 or QV Stage-2 "
                          "run (repeatable).")
flags.DEFINE_integer("num_episodes", 10, "Episodes played per run.",
                     lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the played environment.")
flags.DEFINE_integer("chunk", 64, "States per exact-value pass.",
                     lower_bound=1)
flags.DEFINE_string("out", "", "Optional JSON file for the numbers.")
flags.mark_flag_as_required("run")
FLAGS = flags.FLAGS


def _parse_runs() -> List[Tuple[str, str]]:
  runs = []
  for text in FLAGS.run:
    label, sep, path = text.partition("=")
    runs.append((label, path) if sep else (text, text))
  return runs


def _visited(agent, env, num_episodes: int) -> Dict[str, tf.Tensor]:
  """States, stacked observations and actions of behaviour episodes."""
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  policy = py_tf_eager_policy.PyTFEagerPolicy(
      agent.collect_policy, use_tf_function=True, batch_time_steps=True)
  states, observations, actions = [], [], []
  for _ in range(num_episodes):
    step = env.reset()
    while not step.is_last():
      action = policy.action(step).action
      batched = {k: np.asarray(v)[None] for k, v in step.observation.items()}
      states.append(batched["state"][0])
      observations.append(agent.layout.stack_observations(batched)[0])
      actions.append(agent.layout.stack_actions(
          {k: np.asarray(v)[None] for k, v in action.items()})[0])
      step = env.step(action)
  return {"state": tf.constant(np.stack(states), tf.float32),
          "observation": tf.stack(observations),
          "action": tf.cast(tf.stack(actions), tf.int32)}


def measure(agent, visited: Dict[str, tf.Tensor], chunk: int
            ) -> Dict[str, float]:
  """The numbers of the module docstring for one run's visited states."""
  values, errors, weights, exact_weights = [], [], [], []
  total = int(visited["state"].shape[0])
  for start in range(0, total, chunk):
    state = visited["state"][start:start + chunk]
    obs = visited["observation"][start:start + chunk]
    taken = agent.one_hot(visited["action"][start:start + chunk])
    exact = tf.reduce_sum(agent.exact_state_values(state, obs), 1)    # [B]
    learned = tf.reduce_sum(agent.baselines(state, obs), 1)          # [B,M]
    q_taken = tf.reduce_sum(
        agent.global_values(agent.global_q, state, obs, taken), 1)   # [B]
    values.append(exact.numpy())
    errors.append((learned - exact[:, None]).numpy())
    weights.append((q_taken[:, None] - learned).numpy())
    exact_weights.append((q_taken - exact).numpy())
  rms = lambda parts: float(np.sqrt(np.mean(np.concatenate(
      [p.ravel() for p in parts]) ** 2)))
  return {"states": total,
          "value_std": float(np.std(np.concatenate(values))),
          "baseline_rms_error": rms(errors),
          "baseline_mean_error": float(np.mean(np.concatenate(
              [e.ravel() for e in errors]))),
          "weight_rms": rms(weights),
          "exact_weight_rms": rms(exact_weights)}


def main(argv):
  del argv
  report = {}
  for label, path in _parse_runs():
    agent, make_env = restore.load_agent(path)
    if (not hasattr(agent, "exact_state_values")
        or agent.config.stage != 2):
      raise experiment_io.UsageError(
          f"{path} is not a CM3 or QV Stage-2 run")
    with launch.bad_input():
      visited = _visited(agent, make_env(FLAGS.seed), FLAGS.num_episodes)
      checkpoint = tf.train.latest_checkpoint(os.path.join(path,
                                                           "checkpoints"))
      report[label] = dict(measure(agent, visited, FLAGS.chunk),
                           advantage=agent.config.advantage,
                           checkpoint=os.path.basename(checkpoint))
  header = ("run", "advantage", "states", "value_std", "baseline_rms_error",
            "baseline_mean_error", "weight_rms", "exact_weight_rms")
  print(" | ".join(header))
  for label, row in report.items():
    print(" | ".join([label, row["advantage"], str(row["states"])] + [
        f"{row[k]:.3f}" for k in header[3:]]))
  if FLAGS.out:
    with open(FLAGS.out, "w", encoding="utf-8") as f:
      json.dump(report, f, indent=1)
    print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
  launch.run(main)
