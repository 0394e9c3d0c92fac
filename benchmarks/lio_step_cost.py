r"""Cost of one LIO iteration relative to one plain PG iteration.

Both run through the experiment runner's compiled iteration on the same
environment with the thesis' networks; the PG agent is the baseline. Prints

  * iteration: a whole training iteration (LIO: two rollouts, the policy
    step and the incentive meta-gradient step; PG: one rollout and one step);
  * update: the updates alone on a fixed batch of episodes (LIO: policy step
    plus incentive step through the differentiated policy step; PG: one
    policy step);

and the LIO / PG ratio of each.

  python -m benchmarks.lio_step_cost --iterations=2000
"""

from __future__ import annotations

import tempfile
import time

from mmagents.core import launch  # pylint: disable=g-import-not-at-top,unused-import
from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

flags.DEFINE_integer("iterations", 2000, "Timed iterations per measurement.")
flags.DEFINE_integer("repeats", 3, "Measurements per setting (best kept).")
flags.DEFINE_integer("num_agents", 2, "N of ER(N, M).")
flags.DEFINE_integer("min_at_lever", 1, "M of ER(N, M).")
FLAGS = flags.FLAGS


def _runner(method: str):
  """A runner for `method` on Escape Room (nothing is written but files)."""
  from environments import registry as env_registry  # pylint: disable=g-import-not-at-top
  from mmagents.agents import registry as method_registry  # pylint: disable=g-import-not-at-top
  from mmagents.core import runner  # pylint: disable=g-import-not-at-top
  spec = method_registry.get(method)
  kwargs = {"num_agents": FLAGS.num_agents,
            "min_at_lever": FLAGS.min_at_lever}

  def make_env(seed):
    return env_registry.make("escape_room", seed=seed, **kwargs)

  def make_agent(tf_env, py_env):
    return spec.agent_cls(tf_env.time_step_spec(), tf_env.action_spec(),
                          py_env.agent_ids, config=spec.config_cls(), seed=0)

  config = runner.RunConfig(root_dir=tempfile.mkdtemp(), num_episodes=1,
                            eval_interval=1, num_eval_episodes=1,
                            verbose=False)
  return runner.Runner(f"bench_{method}", make_env, make_agent, config,
                       {"method": method})


def _best_seconds(fn, iterations: int) -> float:
  fn()  # Traces.
  best = float("inf")
  for _ in range(FLAGS.repeats):
    start = time.perf_counter()
    for _ in range(iterations):
      fn()
    best = min(best, (time.perf_counter() - start) / iterations)
  return best


def _update_fn(run):
  """A compiled update on one fixed batch of collected episodes."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mmagents.lio import agent as lio  # pylint: disable=g-import-not-at-top
  collect = tf.function(run.train_collect)
  agent = run.agent
  if isinstance(agent, lio.LIOAgent):
    first, second = collect(), collect()

    @tf.function
    def update():
      agent.update_policies(first)
      return agent.train(lio.LIOExperience(first, second)).loss
  else:
    experience = collect()

    @tf.function
    def update():
      return agent.train(experience).loss
  return update


def main(argv):
  del argv
  rows = {}
  for method in ("pg", "lio"):
    run = _runner(method)
    iteration = _best_seconds(run._iteration, FLAGS.iterations)  # pylint: disable=protected-access
    update = _best_seconds(_update_fn(run), FLAGS.iterations)
    rows[method] = (iteration, update)
  print(f"ER({FLAGS.num_agents},{FLAGS.min_at_lever}), best of "
        f"{FLAGS.repeats} x {FLAGS.iterations} iterations (ms)")
  print(f"{'':<10}{'iteration':>12}{'update':>12}")
  for method, (iteration, update) in rows.items():
    print(f"{method:<10}{iteration * 1e3:>12.3f}{update * 1e3:>12.3f}")
  ratio_it = rows["lio"][0] / rows["pg"][0]
  ratio_up = rows["lio"][1] / rows["pg"][1]
  print(f"{'lio / pg':<10}{ratio_it:>11.2f}x{ratio_up:>11.2f}x  "
        f"(baseline: PG)")


if __name__ == "__main__":
  app.run(main)
