"""MetaGrad: a central incentive designer trained by meta-gradients (ch. 6).

N independent REINFORCE learners (plain SGD, no give-reward ability) receive
their extrinsic reward plus an incentive from one designer, whose incentive
function μ_η(s, a) reads the global state s and the joint action a (one-hot)
and outputs one value in (0, R_max) per action *type*; an agent that took
action k receives μ_η(s, a)[k], so the network's size does not grow with N
(thesis §6.3.2). One iteration of the pipelined Algorithm 3:

1. the learners take one SGD step on τ (rewards plus incentives), θ → θ̂;
2. θ̂ plays the validation rollout τ̂;
3. the designer descends its outer loss on τ̂ through θ̂(η) (recomputed from
   θ as a differentiable function of η, `LookaheadMixin`), plus the
   incentive cost ψ on τ;
4. τ̂ becomes the next iteration's τ (pipelining: one rollout per iteration).

The designer's reward R^ID is the sum of the agents' extrinsic rewards. Outer
objectives (``outer_objective``):

* ``exact`` (Eq. 6.4): -Σ_t G^ID_t Σ_i log π_θ̂^i(η)(â^i_t|ô^i_t), with G^ID
  the discounted return of R^ID on τ̂;
* ``ppo`` (Eq. 6.5-6.6): -Σ_t min(ρ_t A_t, clip(ρ_t, 1 ± ε) A_t), with ρ_t
  the joint-action ratio of π_θ̂(η) to π_θ̂(η_old), A_t GAE(λ) from the
  designer's own critic V(s) (trained on τ̂, Adam), over ``outer_epochs``
  passes; the first pass has ρ = 1, where its gradient equals the exact one
  with A_t in place of G^ID_t.

ψ = Σ_t γ^t Σ_j r^j_t, the incentives actually given on τ (thesis §6.3.2:
"the sum of all incentives given to agents"), by its own Adam optimizer by
default (App. C.2.3). Conflict resolved: the authors' code charges every
output of μ_η at each step instead, whether or not an agent took that action;
``cost_on_all_outputs=True`` selects that. At train time R^ID excludes the
incentives (they are charged through ψ); at test time the designer's return
is the collective extrinsic return minus all incentives given (the
``designer_return`` metric, footnote of §6.3.2).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import List, Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from mmagents.agents import lookahead
from mmagents.agents import pg
from mmagents.core import returns as returns_lib
from mmagents.metagrad import central

MetaGradExperience = collections.namedtuple("MetaGradExperience",
                                            ["first", "second"])
MetaGradLossExtra = collections.namedtuple(
    "MetaGradLossExtra", ["outer_loss", "cost", "value_loss"])
OUTER_OBJECTIVES = ("exact", "ppo")


@dataclasses.dataclass(frozen=True)
class MetaGradConfig(pg.PGConfig):
  """Hyperparameters (defaults: thesis Table C.1, MetaGrad on ER(5, 2)).

  The learners use no exploration floor (ε = 0), as in the authors' Escape
  Room configuration. Table C.2 (ER(10, 5)) has the same MetaGrad values.
  """
  hidden_sizes: Tuple[int, ...] = (64, 64)          # h1, h2.
  learning_rate: float = 9.56e-5                    # α_θ, plain SGD.
  entropy_coeff: float = 0.0166
  epsilon_start: float = 0.0
  epsilon_end: float = 0.0
  designer_hidden_sizes: Tuple[int, ...] = (64, 32)  # d1, d2.
  designer_learning_rate: float = 7.93e-4           # α_ID, Adam.
  max_incentive: float = 2.0                        # Incentives in (0, 2).
  cost_coeff: float = 1.0
  cost_learning_rate: float = 6.03e-5               # α_cost; 0: in the loss.
  cost_on_all_outputs: bool = False
  outer_objective: str = "exact"
  ppo_clip: float = 0.2
  outer_epochs: int = 1
  gae_lambda: float = 0.99
  designer_value_hidden_sizes: Tuple[int, ...] = (64, 32)
  designer_value_learning_rate: float = 1e-3

  def __post_init__(self):
    super().__post_init__()
    if self.optimizer != "sgd":
      raise ValueError("MetaGrad differentiates through a plain SGD policy "
                       "step: optimizer must be sgd")
    if self.outer_objective not in OUTER_OBJECTIVES:
      raise ValueError(f"outer_objective must be one of {OUTER_OBJECTIVES}, "
                       f"got {self.outer_objective!r}")
    for name in ("designer_learning_rate", "max_incentive", "ppo_clip",
                 "designer_value_learning_rate"):
      if getattr(self, name) <= 0:
        raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
    if self.cost_coeff < 0 or self.cost_learning_rate < 0:
      raise ValueError("cost_coeff and cost_learning_rate must be >= 0")
    if self.outer_epochs < 1:
      raise ValueError(f"outer_epochs must be >= 1, got {self.outer_epochs}")
    if not 0.0 <= self.gae_lambda <= 1.0:
      raise ValueError(f"gae_lambda must be in [0, 1], got "
                       f"{self.gae_lambda}")
    for name in ("designer_hidden_sizes", "designer_value_hidden_sizes"):
      sizes = getattr(self, name)
      if not sizes or min(sizes) < 1:
        raise ValueError(f"{name} must be positive, got {sizes}")


class MetaGradAgent(lookahead.LookaheadMixin, central.CentralDesignerMixin,
                    pg.PolicyGradientAgent):
  """N PG learners and one incentive designer, trained as one TF-Agent."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: MetaGradConfig = MetaGradConfig(), seed: int = 0,
               name: str = "metagrad"):
    self._init_central(time_step_spec)
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)
    self.designer_net = self.build_designer_network(
        self.designer_features_size(), config.designer_hidden_sizes,
        self.num_action_types, output_bias=False)
    self._init_designer_critic(config.designer_value_hidden_sizes,
                               config.designer_value_learning_rate)
    self._init_lookahead()
    self._designer_optimizer = tf.keras.optimizers.Adam(
        config.designer_learning_rate)
    self._cost_optimizer = (tf.keras.optimizers.Adam(config.cost_learning_rate)
                            if config.cost_learning_rate > 0 else None)
    self._pending = None        # τ̂ kept for the next iteration.
    self._pipeline_full = None

  # ------------------------------------------------------------- incentives
  def incentive_per_action(self, state: tf.Tensor,
                           actions: tf.Tensor) -> tf.Tensor:
    """μ_η(s, a): the incentive for each action type ``[..., A]``.

    Args:
      state: global state ``[..., S]``.
      actions: joint actions ``[..., N]``.
    """
    out = self.run_designer(self.designer_net,
                            self.designer_features(state, actions))
    return self.config.max_incentive * tf.sigmoid(out)

  def incentives(self, designer_inputs: tf.Tensor, actions: tf.Tensor,
                 noise=None) -> tf.Tensor:
    """Incentive matrix ``[..., 1, N]``: agent j gets μ_η(s, a)[a^j].

    Args:
      designer_inputs: global states ``[..., 1, S]``.
      actions: joint actions ``[..., N]``.
      noise: unused (the incentive function is deterministic).
    """
    del noise
    per_action = self.incentive_per_action(designer_inputs[..., 0, :],
                                           actions)
    per_agent = tf.gather(per_action, actions,
                          batch_dims=len(actions.shape) - 1)
    return per_agent[..., None, :]

  # --------------------------------------------------------------- training
  def build_optimizers(self) -> None:
    super().build_optimizers()
    designer = self.designer_net.trainable_variables
    self._designer_optimizer.build(designer)
    if self._cost_optimizer is not None:
      self._cost_optimizer.build(designer)
    self.build_designer_critic_optimizer()

  def build_pipeline(self, trajectory_length: int) -> None:
    """Variables that keep τ̂ between iterations (and in checkpoints)."""
    self._pending = [
        tf.Variable(tf.zeros([1, trajectory_length] + spec.shape.as_list(),
                             spec.dtype), trainable=False, name="pending")
        for spec in tf.nest.flatten(self.collect_data_spec)]
    self._pipeline_full = tf.Variable(False, trainable=False,
                                      name="pipeline_full")

  def _pending_experience(self):
    return tf.nest.pack_sequence_as(
        self.collect_data_spec, [v.read_value() for v in self._pending])

  def train_iteration(self, collect):
    """Algorithm 3: update learners on τ, play τ̂, update the designer.

    With `build_pipeline` called, τ is the previous iteration's τ̂ (the first
    iteration plays it); without, every iteration plays τ afresh.
    """
    if self._pending is None:
      first = collect()
    else:
      first = tf.cond(self._pipeline_full, self._pending_experience, collect)
    # Automatic control dependencies do not order the environment ops inside
    # the cond before those of the next rollout (TFPyEnvironment refuses
    # concurrent calls): wait for τ explicitly.
    with tf.control_dependencies(tf.nest.flatten(first)):
      self.update_policies(first)
      second = collect()
    loss_info = self.train(MetaGradExperience(first, second))
    if self._pending is not None:
      for variable, value in zip(self._pending, tf.nest.flatten(second)):
        variable.assign(value)
      self._pipeline_full.assign(True)
    return loss_info, [second]

  def _total_rewards(self, experience, inputs: tf.Tensor
                     ) -> Tuple[tf.Tensor, tf.Tensor]:
    del inputs
    per_type = self.incentive_per_action(
        self._state(experience.observation),
        self.layout.stack_actions(experience.action))
    types = self.action_types(experience)
    given = tf.gather(per_type, types, batch_dims=len(types.shape) - 1)
    return experience.reward + given, given[..., None, :]

  def given_incentives(self, experience) -> tf.Tensor:
    if self.incentives_at_act_time:
      return super().given_incentives(experience)
    return self._total_rewards(experience, None)[1]

  def joint_log_probs(self, weights: List[tf.Tensor], experience
                      ) -> tf.Tensor:
    """Σ_i log π^i(a^i_t|o^i_t) ``[B, T]`` under `weights`, without ε."""
    probs = self.policy_probs(weights, self._policy_inputs(experience),
                              tf.constant(0.0))
    mask = returns_lib.valid_mask(experience)[..., None]
    return tf.reduce_sum(pg.log_prob_taken(
        probs, self.layout.stack_actions(experience.action), mask), -1)

  @staticmethod
  def designer_reward(experience) -> tf.Tensor:
    """R^ID at train time ``[B, T]``: the agents' extrinsic rewards."""
    return tf.reduce_sum(experience.reward, -1)

  def outer_weights(self, experience) -> tf.Tensor:
    """What multiplies the log-probabilities: G^ID_t (exact) or A_t (ppo)."""
    designer_reward = self.designer_reward(experience)
    if self.config.outer_objective == "exact":
      return returns_lib.discounted_returns(
          designer_reward, experience.is_last(), self.config.gamma)
    return self.designer_advantages(experience, designer_reward,
                                    self.config.gae_lambda)

  def designer_objectives(self, experience: MetaGradExperience,
                          old_log_probs: tf.Tensor
                          ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Outer loss and cost ψ, each per episode.

    Must run after `update_policies` on ``experience.first``. With ``ppo``
    the ratio's denominator is `old_log_probs` ``[B, T]`` (constant).
    """
    first, second = experience
    new_weights, given = self.lookahead_weights(first)
    log_probs = self.joint_log_probs(new_weights, second)
    weights = tf.stop_gradient(self.outer_weights(second))
    mask = returns_lib.valid_mask(second)
    if self.config.outer_objective == "exact":
      terms = weights * log_probs
    else:
      ratio = tf.exp(log_probs - tf.stop_gradient(old_log_probs))
      clip = self.config.ppo_clip
      terms = tf.minimum(ratio * weights,
                         tf.clip_by_value(ratio, 1 - clip, 1 + clip) * weights)
    outer_loss = (-tf.reduce_sum(mask * terms)
                  / returns_lib.num_episodes(second))
    return outer_loss, self.incentive_cost(first, given)

  def current_log_probs(self, experience: MetaGradExperience) -> tf.Tensor:
    """log π_θ̂(η)(â_t|ô_t) of τ̂ at the current η (PPO's denominator)."""
    new_weights, _ = self.lookahead_weights(experience.first)
    return tf.stop_gradient(self.joint_log_probs(new_weights,
                                                 experience.second))

  def incentive_cost(self, experience, given: tf.Tensor) -> tf.Tensor:
    """ψ per episode: Σ_t γ^t (incentives given, or every output of μ_η)."""
    if self.config.cost_on_all_outputs:
      per_step = tf.reduce_sum(self.incentive_per_action(
          self._state(experience.observation),
          self.layout.stack_actions(experience.action)), -1)
    else:
      per_step = tf.reduce_sum(given, [-2, -1])
    discount = self.config.gamma ** returns_lib.steps_since_start(experience)
    mask = returns_lib.valid_mask(experience)
    return (tf.reduce_sum(mask * discount * per_step)
            / returns_lib.num_episodes(experience))

  def _old_log_probs(self, experience: MetaGradExperience) -> tf.Tensor:
    """PPO's ratio denominator (ρ = 1 on the first pass); unused (zeros)
    by the exact objective, which need not recompute θ̂ for it."""
    if self.config.outer_objective == "ppo":
      return self.current_log_probs(experience)
    return tf.zeros_like(experience.second.reward[..., 0])

  def _loss(self, experience, weights=None, training: bool = False):
    del weights, training
    outer_loss, cost = self.designer_objectives(
        experience, self._old_log_probs(experience))
    return tf_agent.LossInfo(outer_loss + self.config.cost_coeff * cost,
                             MetaGradLossExtra(outer_loss, cost, 0.0))

  def _train(self, experience, weights=None):
    """Outer passes on the designer (the cost step once), then the critic."""
    del weights
    variables = self.designer_net.trainable_variables
    ppo = self.config.outer_objective == "ppo"
    old_log_probs = self._old_log_probs(experience)
    for epoch in range(self.config.outer_epochs if ppo else 1):
      outer_loss, cost, gradients, cost_gradients = (
          self._designer_gradients(experience, old_log_probs))
      if epoch == 0:
        loss_info = tf_agent.LossInfo(
            outer_loss + self.config.cost_coeff * cost,
            MetaGradLossExtra(outer_loss, cost, 0.0))
        if self._cost_optimizer is not None:
          self._cost_optimizer.apply_gradients(zip(cost_gradients,
                                                   variables))
      self._designer_optimizer.apply_gradients(zip(gradients, variables))
    if ppo:
      value_loss = self.train_designer_critic(
          experience.second, self.designer_reward(experience.second),
          self.config.gae_lambda)
      loss_info = loss_info._replace(
          extra=loss_info.extra._replace(value_loss=value_loss))
    self.train_step_counter.assign_add(1)
    return loss_info

  @tf.function(jit_compile=True)
  def _designer_gradients(self, experience, old_log_probs):
    """Outer and cost losses and their gradients, compiled with XLA.

    Without a separate cost optimizer the cost is part of the designer's
    objective and the cost gradients are zeros.
    """
    variables = self.designer_net.trainable_variables
    separate = self._cost_optimizer is not None
    with tf.GradientTape(persistent=True) as tape:
      outer_loss, cost = self.designer_objectives(experience, old_log_probs)
      weighted_cost = self.config.cost_coeff * cost
      objective = outer_loss if separate else outer_loss + weighted_cost
    gradients = tape.gradient(objective, variables)
    cost_gradients = (tape.gradient(weighted_cost, variables) if separate
                      else [tf.zeros_like(v) for v in variables])
    del tape
    return outer_loss, cost, gradients, cost_gradients
