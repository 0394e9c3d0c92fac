"""The differentiable games of the AgA paper.

* Public goods: n players contribute a_i in [0, b]; payoff
  p_i = b - a_i + (c / n) Σ_j a_j (two players: (c/2)(a_1 + a_2)), loss
  -p_i. With 1 < c < n·1 contributing is collectively best (social optimum
  a = b) and individually dominated (Nash equilibrium a = 0). The paper uses
  b = 1, c = 1.5 and two players. It does not say how actions are
  parameterized; ``sigmoid`` (a = b σ(w), the default) keeps them inside
  [0, b] with gradients everywhere, ``clip`` (a = clip(w, 0, b)) is the
  other flag choice.
* Toy game: l_1 = -sin(a_1 a_2 + a_2²),
  l_2 = -cos(1 + a_1 - (1 + a_2)² + a_1 a_2²), a_i real. Its collective
  reward -(l_1 + l_2) peaks at 2.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

from mmagents.aga import game as game_lib

PARAMETERIZATIONS = ("sigmoid", "clip")


class PublicGoods:
  """An n-player public goods game on one variable per player."""

  def __init__(self, initial: Sequence[float], endowment: float = 1.0,
               multiplier: float = 1.5, parameterization: str = "sigmoid"):
    if len(initial) < 2:
      raise ValueError("the public goods game needs at least two players")
    if endowment <= 0 or multiplier <= 0:
      raise ValueError("endowment b and multiplier c must be > 0")
    if parameterization not in PARAMETERIZATIONS:
      raise ValueError(f"parameterization must be one of "
                       f"{PARAMETERIZATIONS}, got {parameterization!r}")
    self.endowment = endowment
    self.multiplier = multiplier
    self.parameterization = parameterization
    self.weights = [tf.Variable(float(w), name=f"player_{i}")
                    for i, w in enumerate(initial)]
    self.game = game_lib.Game([[w] for w in self.weights],
                              lambda: -self.payoffs())

  @property
  def num_players(self) -> int:
    return len(self.weights)

  def contributions(self) -> tf.Tensor:
    """a ``[n]`` in [0, b]."""
    w = tf.stack(self.weights)
    if self.parameterization == "sigmoid":
      return self.endowment * tf.sigmoid(w)
    return tf.clip_by_value(w, 0.0, self.endowment)

  def payoffs(self) -> tf.Tensor:
    """p ``[n]``."""
    a = self.contributions()
    share = self.multiplier / self.num_players * tf.reduce_sum(a)
    return self.endowment - a + share


class ToyGame:
  """The two-player toy game, one real action per player."""

  def __init__(self, initial: Sequence[float]):
    if len(initial) != 2:
      raise ValueError("the toy game has two players")
    self.actions = [tf.Variable(float(a), name=f"player_{i}")
                    for i, a in enumerate(initial)]
    self.game = game_lib.Game([[a] for a in self.actions], self.losses)

  def losses(self) -> tf.Tensor:
    a1, a2 = self.actions
    return losses_at(a1, a2)


def losses_at(a1, a2):
  """The toy game's ``[2]`` losses at actions (tensors or arrays, any
  broadcastable shapes: leading axis 0 indexes the player)."""
  l1 = -tf.sin(a1 * a2 + a2 ** 2)
  l2 = -tf.cos(1.0 + a1 - (1.0 + a2) ** 2 + a1 * a2 ** 2)
  return tf.stack([l1, l2])


def equality(rewards: np.ndarray) -> np.ndarray:
  """1 - Gini over the last axis: 1 - Σ_ij |r_i - r_j| / (2 n Σ_i r_i)."""
  rewards = np.asarray(rewards, np.float64)
  n = rewards.shape[-1]
  gaps = np.abs(rewards[..., :, None] - rewards[..., None, :]).sum((-2, -1))
  return 1.0 - gaps / (2 * n * rewards.sum(-1))
