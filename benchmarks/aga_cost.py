r"""Cost of AgA's gradient adjustment on policy-sized networks.

Two players, each an MLP policy (64 → 256 → 128 → 6, about 50k parameters
each, 100k in all) scoring a shared batch of observations; each player's
loss is its own policy-gradient surrogate on advantages that depend on both
policies' outputs, so the game couples them. Prints, per compiled call
(best of --repeats, each averaging --calls):

  * one AgA step (ξ, ξ_c and H_c ξ_c, then the update) against one Simul-Co
    step (ξ_c and the update): ratio, target <= 3;
  * one Hessian-vector product H_c v (forward over reverse) against one
    gradient ξ_c.

  python -m benchmarks.aga_cost
"""

from __future__ import annotations

import time

from mmagents.core import launch  # pylint: disable=unused-import
from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

from mmagents.aga import game as game_lib
from mmagents.aga import optimizers

flags.DEFINE_integer("batch", 256, "Observations per loss evaluation.")
flags.DEFINE_integer("calls", 50, "Calls averaged per measurement.")
flags.DEFINE_integer("repeats", 3, "Measurements (the best is kept).")
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
  fn()  # Trace and warm up.
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    for _ in range(calls):
      fn()
    times.append((time.perf_counter() - start) / calls)
  return min(times)


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
  }
  ms = {k: 1e3 * best_time(fn, FLAGS.calls, FLAGS.repeats)
        for k, fn in timed.items()}
  print(f"parameters: {size}")
  for name, value in ms.items():
    print(f"{name:<14}{value:8.2f} ms")
  for top, bottom in (("aga_step", "simul_co_step"), ("hvp", "gradient")):
    ratio = ms[top] / ms[bottom]
    print(f"{top} / {bottom}: {ratio:.2f}x (target <= {TARGET:.0f}x)")


if __name__ == "__main__":
  app.run(main)
