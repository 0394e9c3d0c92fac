"""A QMIX learner on plain observations and a state: HSD's high level over
skills (thesis §4.2.3, Eq. 4.5–4.6) and the flat QMIX baseline of ch. 4.

A utility network shared by all agents maps o^n to values over choices
(skills or primitive actions); a `mixer.QMixer` conditioned on the global
state mixes the chosen values into Q_tot. One minibatch step on
``(o, s, c, r, o', s', bootstrap)``:

  y = r + bootstrap · Q_tot'(s', q'(o', c*)),   c*^n = argmax_c Q^n(o'^n, c)
  (target utilities; ``double_q``: chosen by the online ones),
  L = mean (y − Q_tot(s, q(o, c)))²,

Adam on utilities and mixer together, then soft target updates. The batch
carries the bootstrap factor: γ·discount for one step, γ^k·discount after
a k-step segment (HSD's semi-Markov high level).
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from mmagents.core import value_learning
from mmagents.qmix import mixer as mixer_lib


class QMIXLearner(tf.Module):
  """Shared utilities, a monotone state-conditioned mixer and targets.

  Batch keys: ``observation`` ``[B, N, D]``, ``state`` ``[B, S]``,
  ``choice`` ``[B, N]``, ``reward`` ``[B]`` (the team's), the ``next_``
  observation and state, ``bootstrap`` ``[B]``.
  """

  def __init__(self, num_agents: int, observation_size: int, state_size: int,
               num_choices: int, hidden_sizes: Sequence[int],
               embed_dim: int, learning_rate: float,
               target_update_rate: float, hypernet_hidden: int = 0,
               double_q: bool = False, grad_clip_norm: float = 0.0,
               mixer_init_stddev: float = 0.0,
               name: str = "qmix_learner"):
    super().__init__(name=name)
    make_utility = lambda name: value_learning.QNetwork(
        observation_size, hidden_sizes, num_choices, name=name)
    self.utility = make_utility("utility")
    self.target_utility = make_utility("target_utility")
    self.mixer = mixer_lib.QMixer(num_agents, embed_dim, hypernet_hidden,
                                  init_stddev=mixer_init_stddev)
    self.target_mixer = mixer_lib.QMixer(num_agents, embed_dim,
                                         hypernet_hidden,
                                         init_stddev=mixer_init_stddev,
                                         name="target_mixer")
    for mixer in (self.mixer, self.target_mixer):
      mixer.build_weights(state_size)
    self.target_utility.copy_weights_from(self.utility)
    self.target_mixer.copy_weights_from(self.mixer)
    self.optimizer = tf.keras.optimizers.Adam(learning_rate)
    self.tau = float(target_update_rate)
    self.double_q = bool(double_q)
    self.grad_clip_norm = float(grad_clip_norm)

  @property
  def trainable_variables(self):
    return (self.utility.trainable_variables
            + self.mixer.trainable_variables)

  def build_optimizer(self) -> None:
    self.optimizer.build(self.trainable_variables)

  def targets(self, batch) -> tf.Tensor:
    """y ``[B]`` (a constant)."""
    next_obs = batch["next_observation"]
    target_values = self.target_utility(next_obs)                # [B,N,C]
    chooser = self.utility(next_obs) if self.double_q else target_values
    best = value_learning.take(target_values, tf.argmax(chooser, -1))
    next_total = self.target_mixer(best, batch["next_state"])
    return tf.stop_gradient(batch["reward"] + batch["bootstrap"] * next_total)

  def chosen_total(self, batch) -> tf.Tensor:
    """Q_tot(s, q(o, c)) ``[B]`` of the taken choices (online networks)."""
    chosen = value_learning.take(self.utility(batch["observation"]),
                                 batch["choice"])
    return self.mixer(chosen, batch["state"])

  def loss(self, batch, targets=None) -> tf.Tensor:
    if targets is None:
      targets = self.targets(batch)
    return tf.reduce_mean((targets - self.chosen_total(batch)) ** 2)

  def update(self, batch) -> tf.Tensor:
    """One Adam step, then the soft target updates; the loss before it."""
    targets = self.targets(batch)
    variables = self.trainable_variables
    with tf.GradientTape() as tape:
      loss = self.loss(batch, targets)
    value_learning.apply_gradients(self.optimizer,
                                   tape.gradient(loss, variables), variables,
                                   self.grad_clip_norm)
    self.target_utility.soft_update_from(self.utility, self.tau)
    self.target_mixer.soft_update_from(self.mixer, self.tau)
    return loss
