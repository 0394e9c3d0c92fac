"""Differentiable games and the derivative products gradient adjustment needs.

A differentiable (mixed-motive) game has n players; player i owns some
variables w_i and has a loss l_i(w) of everyone's variables. The collective
loss is l_c = Σ_i l_i. Gradient-adjustment methods combine:

* ξ, the simultaneous gradient: each player's gradient of its own loss
  w.r.t. its own variables;
* ξ_c, the gradient of l_c w.r.t. every variable;
* Hessian-vector products: H_c v (the collective Hessian, symmetric) and
  J v, Jᵀ v with J = ∂ξ/∂w the game Jacobian (not symmetric).

H_c v and J v are forward-over-reverse (`tf.autodiff.ForwardAccumulator`
around a `GradientTape`); Jᵀ v is the gradient of ⟨ξ, v⟩ (reverse over
reverse). No full Hessian is ever built. Vectors are lists of tensors
aligned with `Game.variables`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, List, Sequence

import tensorflow as tf

Vector = List[tf.Tensor]


@dataclasses.dataclass
class Game:
  """Players' variables and a function of their individual losses.

  Attributes:
    players: for each player, the variables it owns.
    losses_fn: reads the variables, returns the individual losses ``[n]``.
  """
  players: Sequence[Sequence[tf.Variable]]
  losses_fn: Callable[[], tf.Tensor]

  def __post_init__(self):
    if len(self.players) < 2 or not all(self.players):
      raise ValueError("a game needs at least two players with variables")

  @property
  def num_players(self) -> int:
    return len(self.players)

  @property
  def variables(self) -> List[tf.Variable]:
    return [v for owned in self.players for v in owned]

  @property
  def owners(self) -> List[int]:
    """The player owning each of `variables`."""
    return [i for i, owned in enumerate(self.players) for _ in owned]

  # ------------------------------------------------------------ gradients
  def _simultaneous(self, tape: tf.GradientTape,
                    losses: Sequence[tf.Tensor]) -> Vector:
    """Per-player gradients; `losses` were unstacked on `tape`."""
    grads = []
    for loss, owned in zip(losses, self.players):
      grads += tape.gradient(loss, list(owned))
    return [tf.zeros_like(v) if g is None else g
            for v, g in zip(self.variables, grads)]

  def simultaneous_gradient(self) -> Vector:
    """ξ: ∂l_i/∂w_i for every player i."""
    with tf.GradientTape(persistent=True) as tape:
      losses = tf.unstack(self.losses_fn())
    grads = self._simultaneous(tape, losses)
    del tape
    return grads

  def gradients(self) -> tuple:
    """(ξ, ξ_c) from one forward pass."""
    with tf.GradientTape(persistent=True) as tape:
      losses = tf.unstack(self.losses_fn())
      collective = tf.add_n(losses)
    xi = self._simultaneous(tape, losses)
    xi_c = _dense(tape.gradient(collective, self.variables), self.variables)
    del tape
    return xi, xi_c

  def collective_gradient(self) -> Vector:
    """ξ_c: ∂l_c/∂w for every variable."""
    with tf.GradientTape() as tape:
      collective = tf.reduce_sum(self.losses_fn())
    return _dense(tape.gradient(collective, self.variables), self.variables)

  def collective_hvp(self, vector: Vector) -> Vector:
    """H_c v, forward-over-reverse."""
    with tf.autodiff.ForwardAccumulator(self.variables, vector) as acc:
      with tf.GradientTape() as tape:
        collective = tf.reduce_sum(self.losses_fn())
      grads = _dense(tape.gradient(collective, self.variables),
                     self.variables)
    return _dense(acc.jvp(grads), self.variables)

  def jacobian_vector(self, vector: Vector) -> Vector:
    """J v with J = ∂ξ/∂w, forward-over-reverse."""
    with tf.autodiff.ForwardAccumulator(self.variables, vector) as acc:
      with tf.GradientTape(persistent=True) as tape:
        losses = tf.unstack(self.losses_fn())
      grads = self._simultaneous(tape, losses)
      del tape
    return _dense(acc.jvp(grads), self.variables)

  def jacobian_transpose_vector(self, vector: Vector) -> Vector:
    """Jᵀ v = ∇_w ⟨ξ(w), v⟩, reverse over reverse."""
    with tf.GradientTape() as outer:
      with tf.GradientTape(persistent=True) as tape:
        losses = tf.unstack(self.losses_fn())
      grads = self._simultaneous(tape, losses)
      del tape
      inner = dot(grads, [tf.stop_gradient(v) for v in vector])
    return _dense(outer.gradient(inner, self.variables), self.variables)


class SurrogateGame:
  """A game given by two surrogate losses instead of per-player losses.

  For policy-gradient learners the players' losses are expectations over
  trajectories; what can be differentiated are surrogates:

  * `individual_fn`: its gradient is ξ (each player's own policy gradient;
    for stacked or shared weights the players need not own whole
    variables);
  * `collective_fn`: its gradient is ξ_c and its Hessian estimates H_c
    (a DiCE-style surrogate, see `policy_gradient`).

  It offers what Simul-Ind, Simul-Co and AgA need; methods built on the
  game Jacobian (CGA, SGA) need per-player losses and a `Game`.
  """

  def __init__(self, variables: Sequence[tf.Variable],
               losses_fn: Callable[[], tuple]):
    """`losses_fn` returns (individual, collective) scalar surrogates from
    one forward pass."""
    self._variables = list(variables)
    self.losses_fn = losses_fn

  @property
  def variables(self) -> List[tf.Variable]:
    return self._variables

  def gradients(self) -> tuple:
    """(ξ, ξ_c) from one forward pass."""
    with tf.GradientTape(persistent=True) as tape:
      individual, collective = self.losses_fn()
    xi = _dense(tape.gradient(individual, self._variables), self._variables)
    xi_c = _dense(tape.gradient(collective, self._variables),
                  self._variables)
    del tape
    return xi, xi_c

  def simultaneous_gradient(self) -> Vector:
    with tf.GradientTape() as tape:
      individual, _ = self.losses_fn()
    return _dense(tape.gradient(individual, self._variables), self._variables)

  def collective_gradient(self) -> Vector:
    with tf.GradientTape() as tape:
      _, collective = self.losses_fn()
    return _dense(tape.gradient(collective, self._variables), self._variables)

  def collective_hvp(self, vector: Vector) -> Vector:
    """H_c v of the collective surrogate, forward-over-reverse."""
    with tf.autodiff.ForwardAccumulator(self._variables, vector) as acc:
      grads = self.collective_gradient()
    return _dense(acc.jvp(grads), self._variables)


def _dense(grads, variables) -> Vector:
  return [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
          for v, g in zip(variables, grads)]


def dot(a: Vector, b: Vector) -> tf.Tensor:
  """⟨a, b⟩ over every tensor of two aligned vectors."""
  return tf.add_n([tf.reduce_sum(x * y) for x, y in zip(a, b)])


def axpy(alpha, x: Vector, y: Vector) -> Vector:
  """y + α x, elementwise over two aligned vectors."""
  return [yi + alpha * xi for xi, yi in zip(x, y)]
