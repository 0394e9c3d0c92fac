r"""Cost of AgA's gradient adjustment on policy-sized networks.

Two players, each an MLP policy (64 → 256 → 128 → 6, about 50k parameters
each, 100k in all) scoring a shared batch of observations; each player's
loss is its own policy-gradient surrogate on advantages that depend on both
policies' outputs, so the game couples them. Prints, per compiled call
(best of --repeats, each averaging --calls):

  * one AgA step (ξ, ξ_c and H_c ξ_c, then the update) against one Simul-Co
    step (ξ_c and the update): ratio, target <= 3;
  * one Hessian-vector product H_c v (forward over reverse) against one
    gradient ξ_c;
  * the floor of the first ratio: an AgA step needs ξ and ξ_c (one forward
    pass, two backward passes) before it can form H_c ξ_c, so
    (ξ and ξ_c + H_c v) / Simul-Co step bounds it from below whatever the
    update does with them;
  * with ``--cleanup``, the same comparison for actor-critic learners on
    LIO's 7x7 Cleanup (`aga_ac`): one policy-and-critic update on a fixed
    batch of collected episodes, and one whole training iteration (rollout
    included), AgA against Simul-Co.

  python -m benchmarks.aga_cost --cleanup
"""

from __future__ import annotations

from mmagents.core import launch  # pylint: disable=unused-import
from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from benchmarks import bench_lib
from mmagents.aga import game as game_lib
from mmagents.aga import optimizers

flags.DEFINE_integer("batch", 256, "Observations per loss evaluation.")
flags.DEFINE_integer("calls", 50, "Calls averaged per measurement.")
flags.DEFINE_integer("repeats", 3, "Measurements (the best is kept).")
flags.DEFINE_bool("cleanup", False,
                  "Also time actor-critic updates on 7x7 Cleanup.")
FLAGS = flags.FLAGS
TARGET = 3.0


def policy_game(batch: int, seed: int = 0) -> game_lib.Game:
  """Two MLP policies on one batch, coupled through their advantages."""
  tf.keras.utils.set_random_seed(seed)
  rng = np.random.default_rng(seed)
  obs = tf.constant(rng.normal(size=(batch, 64)), tf.float32)
  actions = tf.constant(rng.integers(0, 6, size=(2, batch)), tf.int32)
  nets = []
  for i in range(2):
    net = tf.keras.Sequential([
        tf.keras.layers.Dense(256, "relu"), tf.keras.layers.Dense(128, "relu"),
        tf.keras.layers.Dense(6)], name=f"player_{i}")
    net.build((None, 64))
    nets.append(net)

  def losses():
    log_probs = [tf.nn.log_softmax(net(obs)) for net in nets]
    taken = [tf.gather(lp, actions[i], batch_dims=1)
             for i, lp in enumerate(log_probs)]
    # Each player's advantage falls with the other's confidence.
    advantages = [1.0 - tf.exp(taken[1 - i]) for i in range(2)]
    return tf.stack([-tf.reduce_mean(taken[i] * advantages[i])
                     for i in range(2)])

  return game_lib.Game([net.trainable_variables for net in nets], losses)


def best_time(fn, calls: int, repeats: int) -> float:
  return bench_lib.best_seconds(fn, calls, repeats)


def cleanup_times(method: str) -> dict:
  """Seconds of one update and one iteration of `aga_ac` with `method`."""
  from mmagents.aga import actor_critic as aga_ac  # pylint: disable=g-import-not-at-top
  run = bench_lib.make_runner(
      "aga_ac", "cleanup", {"setting": "lio",
                            "map_name": "cleanup_small_sym"},
      aga_ac.AgAACConfig(method=method))
  collect = tf.function(run.train_collect)
  experience = collect()
  update = tf.function(lambda: run.agent.train(experience).loss)
  return {"update": best_time(update, FLAGS.calls, FLAGS.repeats),
          "iteration": best_time(run._iteration, FLAGS.calls,  # pylint: disable=protected-access
                                 FLAGS.repeats)}


def main(argv):
  del argv
  game = policy_game(FLAGS.batch)
  size = sum(int(np.prod(v.shape)) for v in game.variables)
  vector = [tf.ones_like(v) for v in game.variables]
  aga, simul_co = optimizers.AgA(1.0), optimizers.SimulCo()
  timed = {
      "aga_step": tf.function(lambda: optimizers.step(game, aga, 1e-4)),
      "simul_co_step": tf.function(
          lambda: optimizers.step(game, simul_co, 1e-4)),
      "hvp": tf.function(lambda: game.collective_hvp(vector)),
      "gradient": tf.function(game.collective_gradient),
      "xi_and_xi_c": tf.function(game.gradients),
  }
  ms = {k: 1e3 * best_time(fn, FLAGS.calls, FLAGS.repeats)
        for k, fn in timed.items()}
  print(f"parameters: {size}")
  for name, value in ms.items():
    print(f"{name:<14}{value:8.2f} ms")
  for top, bottom in (("aga_step", "simul_co_step"), ("hvp", "gradient")):
    ratio = ms[top] / ms[bottom]
    print(f"{top} / {bottom}: {ratio:.2f}x (target <= {TARGET:.0f}x)")
  floor = (ms["xi_and_xi_c"] + ms["hvp"]) / ms["simul_co_step"]
  print(f"floor of aga_step / simul_co_step: (xi_and_xi_c + hvp) / "
        f"simul_co_step = {floor:.2f}x")
  if FLAGS.cleanup:
    rows = {m: cleanup_times(m) for m in ("simul_co", "aga")}
    print("actor-critic on 7x7 Cleanup, 2 agents (ms):")
    for method, times in rows.items():
      print(f"{method:<10}" + "".join(f"{k:>11} {v * 1e3:8.2f}"
                                      for k, v in times.items()))
    for key in ("update", "iteration"):
      print(f"aga / simul_co {key}: "
            f"{rows['aga'][key] / rows['simul_co'][key]:.2f}x")


if __name__ == "__main__":
  app.run(main)
