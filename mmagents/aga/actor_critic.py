"""Gradient adjustment for actor-critic learners in sequential games.

Agent i's loss is minus its own expected return, l_i = -J_i(θ), which
depends on every agent's policy; the collective loss is l_c = Σ_i l_i.
From one batch of episodes, with A^i_t agent i's TD advantage (its own
critic, Eq. B.9) and A^c_t = Σ_i A^i_t:

* ξ (each agent's gradient of its own loss w.r.t. its own policy) is the
  independent actor-critic gradient -Σ_t ∇log π_i(a_t^i) A^i_t;
* ξ_c (the collective gradient w.r.t. every policy) is -Σ_t ∇log π_j A^c_t;
* H_c ξ_c is the forward-over-reverse HVP of the loaded-DiCE collective
  surrogate (`policy_gradient`), whose Hessian keeps the cross-agent terms.

Each agent's entropy bonus is part of its own loss (so also of l_c). The
method (`optimizers`) turns these into a direction d that the policy
optimizer applies: Simul-Ind (d = ξ: independent actor-critic), Simul-Co
(d = ξ_c: every agent on the collective advantage), AgA
(d = ξ_c + λ(ξ + H_c ξ_c), with or without the sign rule). Critics learn as
in `ac` (each on its own reward).

The surrogates are sums over each episode's steps, averaged over episodes
(``loss_scale="episode"``, the thesis' convention) or means over steps
(``"step"``, as in PPO-style code). Adam ignores the overall scale, but not
the balance inside AgA's direction: ξ and ξ_c scale with the loss, H_c ξ_c
with its square, so with episode sums of long, many-agent episodes H_c ξ_c
is orders of magnitude larger than ξ_c and decides the update for every λ
in the paper's range; per-step means shrink it by the episode length.

The policy optimizer defaults to Adam: λ ranges over {0.1, ..., 1000} in
the AgA paper's Cleanup and Harvest runs, and only a scale-free optimizer
keeps one learning rate usable across that range.
"""

from __future__ import annotations

import dataclasses
import math

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.aga import game as game_lib
from mmagents.aga import optimizers
from mmagents.aga import policy_gradient
from mmagents.agents import ac
from mmagents.agents import pg
from mmagents.core import returns as returns_lib

LOSS_SCALES = ("episode", "step")
# Methods that only need ξ, ξ_c and H_c v (no per-player Jacobian).
METHODS = ("simul_ind", "simul_co", "aga", "aga_no_sign")

# Rate of the moving average of λ's sign reported as `alignment_sign`.
SIGN_AVERAGE_RATE = 0.01


@dataclasses.dataclass(frozen=True)
class AgAACConfig(ac.ACConfig):
  """Actor-critic hyperparameters plus the gradient-adjustment method."""
  method: str = "aga"
  alignment: float = 1.0           # λ.
  optimizer: str = "adam"
  learning_rate: float = 1e-3
  dice_horizon: int = 0            # 0: whole episode (`policy_gradient`).
  loss_scale: str = "episode"      # Or "step" (module docstring).

  def __post_init__(self):
    super().__post_init__()
    if self.method not in METHODS:
      raise ValueError(f"method must be one of {METHODS}, got "
                       f"{self.method!r}")
    if self.loss_scale not in LOSS_SCALES:
      raise ValueError(f"loss_scale must be one of {LOSS_SCALES}, got "
                       f"{self.loss_scale!r}")
    if self.dice_horizon < 0:
      raise ValueError(f"dice_horizon must be >= 0, got {self.dice_horizon}")
    if not math.isfinite(self.alignment):
      raise ValueError(f"alignment must be finite, got {self.alignment}")
    if self.reward != "individual":
      raise ValueError("gradient adjustment combines individual rewards "
                       "itself: reward must be 'individual'")


class AgAACAgent(ac.ActorCriticAgent):
  """Actor-critic learners whose joint policy step is Simul-Ind, Simul-Co or
  AgA."""

  def __init__(self, time_step_spec, action_spec, agent_ids,
               config: AgAACConfig = AgAACConfig(), seed: int = 0,
               name: str = "aga_ac"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    self.method = optimizers.make(config.method, config.alignment)
    self.alignment_sign = tf.Variable(1.0, trainable=False,
                                      name="alignment_sign")

  def surrogates(self, experience, inputs: tf.Tensor):
    """(individual, collective) surrogate losses and the loss pieces.

    The individual surrogate is the actor-critic loss (its gradient is ξ);
    the collective one adds the loaded-DiCE term on A^c, whose gradient is
    ξ_c and whose Hessian is H_c.
    """
    rewards = self.training_rewards(experience)
    probs = self.policy_probs(self.policy_net.layer_weights, inputs,
                              self.score_epsilon(self.epsilon))
    mask = returns_lib.valid_mask(experience)[..., None]
    log_probs = pg.log_prob_taken(
        probs, self.layout.stack_actions(experience.action), mask) * mask
    advantages = mask * self.step_weights(experience, inputs, rewards)
    entropy = tf.reduce_sum(
        mask * -tf.reduce_sum(tf.math.xlogy(probs, probs), -1), [0, 1])
    if self.config.loss_scale == "episode":
      count = returns_lib.num_episodes(experience)
    else:
      count = tf.maximum(tf.reduce_sum(mask), 1.0)
    policy_loss = -tf.reduce_sum(log_probs * advantages, [0, 1]) / count
    entropy = entropy / count
    entropy_loss = -self.config.entropy_coeff * tf.reduce_sum(entropy)
    individual = tf.reduce_sum(policy_loss) + entropy_loss
    collective = (policy_gradient.loaded_dice_loss(
        log_probs, tf.reduce_sum(advantages, -1),
        experience.is_first(), self.config.dice_horizon) / count
        + entropy_loss)
    return individual, collective, (policy_loss, entropy)

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    inputs = self._policy_inputs(experience)
    individual, _, (policy_loss, entropy) = self.surrogates(experience,
                                                            inputs)
    value_loss = self.value_loss(experience, inputs,
                                 self.training_rewards(experience))
    return tf_agent.LossInfo(individual, ac.ACLossExtra(policy_loss, entropy,
                                                        value_loss))

  def scalars(self):
    return dict(super().scalars(),
                alignment_sign=float(self.alignment_sign.numpy()))

  def _train(self, experience, weights=None):
    """One adjusted policy step, then the critics' step."""
    del weights
    inputs = self._policy_inputs(experience)
    pieces = {}

    def losses_fn():
      individual, collective, pieces["terms"] = self.surrogates(experience,
                                                                inputs)
      pieces["individual"] = individual
      return individual, collective

    variables = self.policy_net.trainable_variables
    game = game_lib.SurrogateGame(variables, losses_fn)
    if isinstance(self.method, optimizers.AgA):
      direction, alignment = self.method.direction_and_alignment(game)
      self.alignment_sign.assign(
          (1.0 - SIGN_AVERAGE_RATE) * self.alignment_sign
          + SIGN_AVERAGE_RATE * tf.sign(alignment))
    else:
      direction = self.method.direction(game)
    self._optimizer.apply_gradients(zip(direction, variables))
    value_loss = self.train_critic(experience, inputs,
                                   self.training_rewards(experience))
    self.train_step_counter.assign_add(1)
    policy_loss, entropy = pieces["terms"]
    return tf_agent.LossInfo(pieces["individual"], ac.ACLossExtra(
        policy_loss, entropy, value_loss))
