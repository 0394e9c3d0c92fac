"""The AgA paper's game-theory experiments as functions (launchers wrap them).

`public_goods` runs every method from the same random starts and returns
per-run payoffs; `summarize` turns them into the paper's table (r_i, SW,
Equality as mean ± 95% interval). `toy_trajectories` follows each method
on the toy game and counts the steps to the social optimum.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf

from mmagents.aga import games
from mmagents.aga import optimizers

# Collective reward of the toy game within this of its peak 2 counts as the
# social optimum.
TOY_OPTIMUM = 2.0
TOY_TOLERANCE = 0.02


@dataclasses.dataclass(frozen=True)
class PublicGoodsSetup:
  """Everything the sources leave open, with the defaults used here.

  Starts w_i ~ N(0, init_std²) (a_i = b σ(w_i)), plain gradient steps.
  """
  runs: int = 50
  steps: int = 100
  learning_rate: float = 0.3
  init_std: float = 2.0
  alignment: float = 1.0          # λ of CGA, SGA and AgA.
  num_players: int = 2
  endowment: float = 1.0          # b.
  multiplier: float = 1.5         # c.
  parameterization: str = "sigmoid"
  seed: int = 0

  def __post_init__(self):
    if self.runs < 1 or self.steps < 1:
      raise ValueError("runs and steps must be >= 1")
    if self.learning_rate <= 0 or self.init_std < 0:
      raise ValueError("learning_rate must be > 0 and init_std >= 0")
    if self.num_players < 2:
      raise ValueError("num_players must be >= 2")


def public_goods(setup: PublicGoodsSetup,
                 methods: Sequence[str]) -> Dict[str, np.ndarray]:
  """Final payoffs ``[runs, n]`` of each method, same starts for all."""
  starts = np.random.default_rng(setup.seed).normal(
      0.0, setup.init_std, (setup.runs, setup.num_players))
  results = {}
  for name in methods:
    game = games.PublicGoods(np.zeros(setup.num_players), setup.endowment,
                             setup.multiplier, setup.parameterization)
    loop = optimizers.compiled_loop(
        game.game, optimizers.make(name, setup.alignment),
        setup.learning_rate, setup.steps)
    payoffs = []
    for start in starts:
      for weight, value in zip(game.weights, start):
        weight.assign(value)
      loop()
      payoffs.append(game.payoffs().numpy())
    results[name] = np.array(payoffs)
  return results


def mean_interval(values: np.ndarray) -> tuple:
  """Mean and 95% normal-approximation half-width over axis 0."""
  values = np.asarray(values, np.float64)
  half = 1.96 * values.std(0, ddof=1) / np.sqrt(len(values))
  return values.mean(0), half


def summarize(payoffs: Dict[str, np.ndarray]) -> Dict[str, Dict[str, list]]:
  """Per method: r_i, SW and Equality as [mean, half-width]."""
  table = {}
  for name, p in payoffs.items():
    rows = {f"r{i + 1}": p[:, i] for i in range(p.shape[1])}
    rows["SW"] = p.sum(1)
    rows["Equality"] = games.equality(p)
    table[name] = {k: [float(x) for x in mean_interval(v)]
                   for k, v in rows.items()}
  return table


def format_table(table: Dict[str, Dict[str, list]]) -> str:
  """The paper's layout: one row per metric, one column per method."""
  methods = list(table)
  metrics = list(next(iter(table.values())))
  width = 16
  lines = ["metric    " + "".join(f"{m:>{width}}" for m in methods)]
  for metric in metrics:
    cells = "".join(f"{table[m][metric][0]:>{width - 8}.3f} ± "
                    f"{table[m][metric][1]:.3f}" for m in methods)
    lines.append(f"{metric:<10}{cells}")
  return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class ToySetup:
  """Start, step size, λ and length of the toy-game trajectories."""
  start: tuple = (-1.5, -2.0)
  learning_rate: float = 0.1
  alignment: float = 0.1
  steps: int = 40


def toy_trajectories(setup: ToySetup,
                     methods: Sequence[str]) -> Dict[str, np.ndarray]:
  """Actions ``[steps + 1, 2]`` visited by each method from the start."""
  out = {}
  for name in methods:
    toy = games.ToyGame(setup.start)
    one_step = optimizers.compiled_loop(
        toy.game, optimizers.make(name, setup.alignment),
        setup.learning_rate, 1)
    path = [setup.start]
    for _ in range(setup.steps):
      one_step()
      path.append(tuple(float(a.numpy()) for a in toy.actions))
    out[name] = np.array(path)
  return out


def collective_rewards(path: np.ndarray) -> np.ndarray:
  """-(l_1 + l_2) along a path ``[T, 2]``."""
  losses = games.losses_at(tf.constant(path[:, 0], tf.float32),
                           tf.constant(path[:, 1], tf.float32))
  return -tf.reduce_sum(losses, 0).numpy()


def steps_to_optimum(path: np.ndarray) -> int:
  """First step whose collective reward is within the tolerance of 2, or
  -1 if the path never gets there (or leaves the reals)."""
  rewards = collective_rewards(path)
  hits = np.flatnonzero(np.isfinite(rewards)
                        & (rewards >= TOY_OPTIMUM - TOY_TOLERANCE))
  return int(hits[0]) if len(hits) else -1


def method_names() -> List[str]:
  return optimizers.names()
