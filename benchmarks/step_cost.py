r"""Cost of one iteration of a meta-gradient method against plain PG.

Both run through the experiment runner's compiled iteration on the same
environment with each method's default networks; the PG agent is the
baseline. Prints

  * iteration: a whole training iteration (LIO: two rollouts, the policy
    step and the incentive meta-gradient step; MetaGrad: one rollout, as
    pipelined, the policy step and the designer step; PG: one rollout and
    one step);
  * update: the updates alone on a fixed batch of episodes (policy step plus
    the meta-gradient step through the differentiated policy step; PG: one
    policy step);
  * for the meta-gradient method, its meta-gradient step alone against its
    learners' policy step alone;

and the ratios.

  python -m benchmarks.step_cost --method=lio --iterations=2000
  python -m benchmarks.step_cost --method=metagrad --num_agents=5 \
      --min_at_lever=2
"""

from __future__ import annotations

from mmagents.core import launch  # pylint: disable=g-import-not-at-top,unused-import
from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from benchmarks import bench_lib

flags.DEFINE_enum("method", "lio", ["lio", "metagrad"],
                  "The meta-gradient method timed against PG.")
flags.DEFINE_integer("iterations", 2000, "Timed iterations per measurement.")
flags.DEFINE_integer("repeats", 3, "Measurements per setting (best kept).")
flags.DEFINE_integer("num_agents", 2, "N of ER(N, M).")
flags.DEFINE_integer("min_at_lever", 1, "M of ER(N, M).")
FLAGS = flags.FLAGS


def _runner(method: str):
  """A runner for `method` on the flags' Escape Room."""
  return bench_lib.make_runner(
      method, "escape_room", {"num_agents": FLAGS.num_agents,
                              "min_at_lever": FLAGS.min_at_lever,
                              "with_state": True})


def _best_seconds(fn, iterations: int) -> float:
  return bench_lib.best_seconds(fn, iterations, FLAGS.repeats)


def _update_fns(run):
  """Compiled updates on one fixed batch of collected episodes: the whole
  update, and for meta-gradient methods the policy step and the
  meta-gradient step alone."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from mmagents.agents import lookahead  # pylint: disable=g-import-not-at-top
  collect = tf.function(run.train_collect)
  agent = run.agent
  if not isinstance(agent, lookahead.LookaheadMixin):
    experience = collect()
    return {"update": tf.function(lambda: agent.train(experience).loss)}
  from mmagents.lio import agent as lio  # pylint: disable=g-import-not-at-top
  from mmagents.metagrad import designer  # pylint: disable=g-import-not-at-top
  first = collect()
  pair = (designer.MetaGradExperience
          if isinstance(agent, designer.MetaGradAgent)
          else lio.LIOExperience)(first, collect())

  @tf.function
  def update():
    agent.update_policies(first)
    return agent.train(pair).loss

  return {"update": update,
          "policy step": tf.function(lambda: agent.update_policies(first)),
          "meta step": tf.function(lambda: agent.train(pair).loss)}


def main(argv):
  del argv
  method = FLAGS.method
  rows = {}
  for name in ("pg", method):
    run = _runner(name)
    rows[name] = {"iteration": _best_seconds(run._iteration,  # pylint: disable=protected-access
                                             FLAGS.iterations)}
    for key, fn in _update_fns(run).items():
      rows[name][key] = _best_seconds(fn, FLAGS.iterations)
  print(f"ER({FLAGS.num_agents},{FLAGS.min_at_lever}), best of "
        f"{FLAGS.repeats} x {FLAGS.iterations} iterations (ms)")
  for name, times in rows.items():
    print(f"{name:<10}" + "".join(f"{key:>14} {t * 1e3:8.3f}"
                                  for key, t in times.items()))
  ours, pg = rows[method], rows["pg"]
  print(f"{method} / pg: iteration {ours['iteration'] / pg['iteration']:.2f}x"
        f", update {ours['update'] / pg['update']:.2f}x (baseline: PG)")
  print(f"{method}: meta-gradient step / policy step "
        f"{ours['meta step'] / ours['policy step']:.2f}x")


if __name__ == "__main__":
  app.run(main)
