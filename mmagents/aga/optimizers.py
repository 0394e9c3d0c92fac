"""Gradient-adjustment methods for differentiable games, one interface.

Each method maps a `game.Game` to an update direction d (a list of tensors
aligned with ``game.variables``); `step` moves every variable by
-learning_rate · d. With ξ the simultaneous gradient, ξ_c the collective
gradient, H_c the collective Hessian and J the game Jacobian:

* Simul-Ind: d = ξ (each player descends its own loss);
* Simul-Co: d = ξ_c (everyone descends the collective loss);
* CGA (consensus optimization): d = ξ + λ Jᵀξ (= ξ + λ ∇½||ξ||²);
* SGA (symplectic gradient adjustment): d = ξ + λ Aᵀξ, A = (J - Jᵀ)/2,
  with its sign alignment λ ← |λ| sign(⟨ξ, ∇H⟩⟨Aᵀξ, ∇H⟩/dim + 0.1), ∇H = Jᵀξ;
* SVO (social value orientation reward shaping, McKee et al. 2020): each
  player descends -u_i = -(r_i - w |θ* - atan2(r̄_{-i}, r_i)|), r = -l, the
  others' mean reward r̄_{-i}, target angle θ* (π/4: equal rewards);
* SL: the sources do not expand it. Read here as *social learning*: each
  player descends (1 - s) l_i + s · mean_{j≠i} l_j over its own variables
  (s = 0.5), a partial altruist between Simul-Ind (s = 0) and a selfless
  learner (s = 1);
* AgA: d = ξ_c + λ (ξ + H_c ξ_c); with sign alignment λ takes the sign that
  makes λ ⟨ξ_c, ∇H_c⟩ (⟨ξ, ∇H_c⟩ + ||∇H_c||²) >= 0, ∇H_c = H_c ξ_c
  (positive when that product is 0); without it (the ablation) λ is used as
  given.
"""

from __future__ import annotations

import abc
import math
from typing import Callable, Dict, List, Tuple, Type

import tensorflow as tf

from mmagents.aga import game as game_lib

Vector = game_lib.Vector
SGA_EPSILON = 0.1


class Method(abc.ABC):
  """An update direction for every variable of a game."""

  name = ""

  @abc.abstractmethod
  def direction(self, game: game_lib.Game) -> Vector:
    """The direction d; variables move by -learning_rate · d."""


def step(game: game_lib.Game, method: Method, learning_rate) -> Vector:
  """One update of every variable; returns the direction used."""
  direction = method.direction(game)
  for variable, d in zip(game.variables, direction):
    variable.assign_sub(learning_rate * d)
  return direction


def _sign(value: tf.Tensor) -> tf.Tensor:
  """+1 where `value` >= 0, else -1 (the dtype of `value`)."""
  return tf.where(value >= 0, tf.ones_like(value), -tf.ones_like(value))


class SimulInd(Method):
  name = "simul_ind"

  def direction(self, game):
    return game.simultaneous_gradient()


class SimulCo(Method):
  name = "simul_co"

  def direction(self, game):
    return game.collective_gradient()


class CGA(Method):
  """Consensus optimization: descend ½||ξ||² too."""
  name = "cga"

  def __init__(self, alignment: float = 0.1):
    self.alignment = alignment

  def direction(self, game):
    xi = game.simultaneous_gradient()
    return game_lib.axpy(self.alignment, game.jacobian_transpose_vector(xi),
                         xi)


class SGA(Method):
  """Symplectic gradient adjustment with its own sign alignment."""
  name = "sga"

  def __init__(self, alignment: float = 0.1, align_sign: bool = True):
    self.alignment = alignment
    self.align_sign = align_sign

  def direction(self, game):
    xi = game.simultaneous_gradient()
    jt_xi = game.jacobian_transpose_vector(xi)
    j_xi = game.jacobian_vector(xi)
    at_xi = [0.5 * (t - j) for t, j in zip(jt_xi, j_xi)]
    alignment = tf.cast(self.alignment, xi[0].dtype)
    if self.align_sign:
      size = float(sum(v.shape.num_elements() for v in game.variables))
      score = (game_lib.dot(xi, jt_xi) * game_lib.dot(at_xi, jt_xi) / size
               + SGA_EPSILON)
      alignment *= _sign(score)
    return game_lib.axpy(alignment, at_xi, xi)


class _ShapedLosses(Method):
  """Each player descends its own shaped loss over its own variables."""

  @abc.abstractmethod
  def shaped_losses(self, losses: tf.Tensor) -> tf.Tensor:
    """``[n]`` losses each player minimizes, from the game's ``[n]``."""

  def direction(self, game):
    with tf.GradientTape(persistent=True) as tape:
      shaped = tf.unstack(self.shaped_losses(game.losses_fn()))
    grads = []
    for loss, owned in zip(shaped, game.players):
      grads += tape.gradient(loss, list(owned))
    del tape
    return [tf.zeros_like(v) if g is None else g
            for v, g in zip(game.variables, grads)]


def others_mean(values: tf.Tensor) -> tf.Tensor:
  """For each i, the mean of the other entries of ``[n]`` `values`."""
  n = values.shape[0]
  return (tf.reduce_sum(values) - values) / (n - 1)


class SVO(_ShapedLosses):
  """Social value orientation: penalize the angle to a target."""
  name = "svo"

  def __init__(self, weight: float = 0.5, angle: float = math.pi / 4):
    self.weight = weight
    self.angle = angle

  def shaped_losses(self, losses):
    rewards = -losses
    angles = tf.math.atan2(others_mean(rewards), rewards)
    return -(rewards - self.weight * tf.abs(self.angle - angles))


class SL(_ShapedLosses):
  """Social learning: own loss mixed with the others' mean loss."""
  name = "sl"

  def __init__(self, others_weight: float = 0.5):
    self.others_weight = others_weight

  def shaped_losses(self, losses):
    s = self.others_weight
    return (1.0 - s) * losses + s * others_mean(losses)


class AgA(Method):
  """Altruistic gradient adjustment, with or without sign alignment."""
  name = "aga"

  def __init__(self, alignment: float = 1.0, align_sign: bool = True):
    self.alignment = alignment
    self.align_sign = align_sign

  def sign(self, xi: Vector, xi_c: Vector, grad_h: Vector) -> tf.Tensor:
    """+1 or -1: the sign of λ that the alignment rule allows."""
    product = game_lib.dot(xi_c, grad_h) * (
        game_lib.dot(xi, grad_h) + game_lib.dot(grad_h, grad_h))
    return _sign(product)

  def direction(self, game):
    return self.direction_and_alignment(game)[0]

  def direction_and_alignment(self, game) -> Tuple[Vector, tf.Tensor]:
    """The direction and the λ it used (signed by the rule if aligning)."""
    xi, xi_c = game.gradients()
    grad_h = game.collective_hvp(xi_c)
    alignment = tf.cast(self.alignment, xi[0].dtype)
    if self.align_sign:
      alignment = tf.abs(alignment) * self.sign(xi, xi_c, grad_h)
    adjustment = [x + h for x, h in zip(xi, grad_h)]
    return game_lib.axpy(alignment, adjustment, xi_c), alignment


METHODS: Dict[str, Type[Method]] = {
    cls.name: cls for cls in (SimulInd, CGA, SGA, SVO, SimulCo, SL, AgA)}


def make(name: str, alignment: float = 1.0, **kwargs) -> Method:
  """A method by name; ``aga_no_sign`` is AgA without sign alignment.

  `alignment` is λ for CGA, SGA and AgA; other keyword arguments go to the
  method's constructor.
  """
  if name == "aga_no_sign":
    return AgA(alignment, align_sign=False)
  if name not in METHODS:
    raise ValueError(f"unknown method {name!r}; known: "
                     f"{', '.join([*METHODS, 'aga_no_sign'])}")
  cls = METHODS[name]
  if cls in (CGA, SGA, AgA):
    return cls(alignment, **kwargs)
  return cls(**kwargs)


def names() -> List[str]:
  return [*METHODS, "aga_no_sign"]


def compiled_loop(game: game_lib.Game, method: Method, learning_rate: float,
                  steps: int) -> Callable[[], None]:
  """A compiled function running `steps` updates of `method` on `game`;
  assign new initial values to the variables between calls to reuse it."""

  @tf.function
  def loop():
    for _ in tf.range(steps):
      step(game, method, learning_rate)
  return loop
