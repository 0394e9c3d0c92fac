"""CM3: credit function, multi-goal policy gradient and the two-stage
curriculum with function augmentation (thesis ch. 3, Algorithms 4–7).

Stage 1 (``stage=1``, the induced single-agent MDP): an actor π¹(a|o_self, g)
and a critic Q¹(s, a, g), with the target y = r + γ Q¹'(s', a'), a' ~ π'
(Eq. A.8–A.9) and the advantage Q¹(s, a) − Σ_â π(â) Q¹(s, â) (Eq. A.10).

Stage 2 (``stage=2``, N agents): the actor, the global Q_n(s, **a**) and the
credit function Q_n(s, a^m) are the Stage-1 networks augmented with a module
for the other agents (`mmagents.core.augmentation`); with ``stage1_dir`` the
Stage-1 actor and critic weights are restored into them (the critic into
both Q functions). Each minibatch step (Algorithm 6):

* global Q: x^n = r^n + γ Q'(s', **a**', g^n), **a**' ~ π';
* credit:   y^{n,m} = r^n + γ Q_c'(s', a'^m, g^n) for every pair (n, m)
  (Eq. 3.4);
* policy:   ascend Σ_m ∇ log π̃(a^m) Σ_n A_{n,m} with
  A_{n,m} = Q_n(s, **a**) − Σ_â π̃(â|o^m) Q_n(s, â^m) (Eq. 3.5–3.6);
* targets:  θ' ← τ θ + (1 − τ) θ'.

Ablations: ``advantage="qv"`` replaces the credit function by a state value
V_n(s) (A_n = Q_n(s, **a**) − V_n(s), no credit between action-goal pairs);
Stage 2 without ``stage1_dir`` is "Direct". Next actions a' are sampled from
the target actor with the current ε (the critics evaluate the behaviour
policy). γ is not in the thesis tables; 0.99 is our choice.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Dict, Optional

import tensorflow as tf

from mmagents.cm3 import base
from mmagents.core import augmentation

ADVANTAGES = ("credit", "qv")


@dataclasses.dataclass(frozen=True)
class CM3Config(base.MultiGoalConfig):
  """CM3 hyperparameters (defaults: Table A.3, Stage 2)."""
  stage: int = 2
  advantage: str = "credit"
  value_learning_rate: float = 1e-3   # V of the QV ablation.
  stage1_dir: str = ""                 # Stage-1 run directory ("": Direct).

  def __post_init__(self):
    super().__post_init__()
    if self.stage not in (1, 2):
      raise ValueError(f"stage must be 1 or 2, got {self.stage}")
    if self.advantage not in ADVANTAGES:
      raise ValueError(f"advantage must be one of {ADVANTAGES}, got "
                       f"{self.advantage!r}")
    if self.stage == 1 and self.stage1_dir:
      raise ValueError("stage1_dir is for Stage 2")
    if self.value_learning_rate <= 0:
      raise ValueError("value_learning_rate must be > 0")


class CM3Agent(base.MultiGoalActorCritic):
  """CM3 (Stage 1 or 2) and its QV and Direct ablations."""

  def __init__(self, time_step_spec, action_spec, agent_ids, parts,
               config: CM3Config = CM3Config(), seed: int = 0,
               name: str = "cm3"):
    stage_agents = 1 if config.stage == 1 else None
    if stage_agents and parts.num_agents != 1:
      raise ValueError("Stage 1 trains one agent (the induced MDP); got "
                       f"{parts.num_agents}")
    if config.stage == 2 and parts.others_size == 0:
      raise ValueError("Stage 2 needs an environment with other agents")
    super().__init__(time_step_spec, action_spec, agent_ids, parts, config,
                     seed=seed, name=name)
    self._critic_optimizer = tf.keras.optimizers.Adam(
        config.critic_learning_rate)
    if config.stage == 1:
      self.q1 = self._make_critic(with_action=True, side_size=0)
      self.target_q1 = self._make_critic(with_action=True, side_size=0)
      self.target_q1.copy_weights_from(self.q1)
      return
    n, s, a = parts.num_agents, parts.agent_state_size, self.layout.max_actions
    self.global_q = self._make_critic(True, (n - 1) * (s + a))
    self.target_global_q = self._make_critic(True, (n - 1) * (s + a))
    if config.advantage == "credit":
      self.credit_q = self._make_critic(True, n * s)
      self.target_credit_q = self._make_critic(True, n * s)
      self._second_optimizer = tf.keras.optimizers.Adam(
          config.critic_learning_rate)
    else:
      self.value = self._make_critic(False, (n - 1) * s)
      self.target_value = self._make_critic(False, (n - 1) * s)
      self._second_optimizer = tf.keras.optimizers.Adam(
          config.value_learning_rate)
    if config.stage1_dir:
      self.restore_stage1(config.stage1_dir)
    for target, source in self.target_pairs():
      target.copy_weights_from(source)

  # ------------------------------------------------------------ networks
  def _make_critic(self, with_action: bool, side_size: int
                   ) -> augmentation.AugmentableNetwork:
    c = self.config
    net = augmentation.AugmentableNetwork(
        self.inputs.critic_images(self.env_image(), self.self_image()),
        c.critic_hidden_sizes, 1,
        side_sizes=c.critic_side_sizes if side_size else None,
        name="critic")
    net.build_weights(self.inputs.critic_main_size(with_action), side_size)
    return net

  def _second_critic(self) -> augmentation.AugmentableNetwork:
    return (self.credit_q if self.config.advantage == "credit"
            else self.value)

  def target_pairs(self):
    pairs = super().target_pairs()
    if self.config.stage == 1:
      return pairs + [(self.target_q1, self.q1)]
    second = ((self.target_credit_q, self.credit_q)
              if self.config.advantage == "credit"
              else (self.target_value, self.value))
    return pairs + [(self.target_global_q, self.global_q), second]

  def critic_loss_names(self):
    if self.config.stage == 1:
      return ("q_loss",)
    return ("q_loss", "credit_loss" if self.config.advantage == "credit"
            else "value_loss")

  def build_optimizers(self) -> None:
    super().build_optimizers()
    if self.config.stage == 1:
      self._critic_optimizer.build(self.q1.trainable_variables)
      return
    self._critic_optimizer.build(self.global_q.trainable_variables)
    self._second_optimizer.build(self._second_critic().trainable_variables)

  def restore_stage1(self, stage1_dir: str) -> None:
    """Loads the latest Stage-1 actor and critic into the Stage-2 networks
    (the critic into both the global Q and the credit function)."""
    latest = tf.train.latest_checkpoint(os.path.join(stage1_dir,
                                                     "checkpoints"))
    if latest is None:
      raise FileNotFoundError(f"no Stage-1 checkpoint under {stage1_dir}/"
                              "checkpoints (run Stage 1 first)")
    augmentation.restore_trunk(self.actor, latest, ("agent", "actor"))
    augmentation.restore_trunk(self.global_q, latest, ("agent", "q1"))
    if self.config.advantage == "credit":
      augmentation.restore_trunk(self.credit_q, latest, ("agent", "q1"))

  # ------------------------------------------------------------ critics
  def stage1_q(self, net, state, observations, action_one_hot) -> tf.Tensor:
    """Q¹(s, a, g) ``[B, 1, ...]`` for actions ``[B, 1, ..., A]``."""
    main = self.inputs.critic_main(state, observations, action_one_hot)
    flat = net(tf.reshape(main, [-1, main.shape[-1]]))
    return tf.reshape(flat, tf.shape(main)[:-1])

  def global_values(self, net, state, observations,
                    joint_one_hot) -> tf.Tensor:
    """Q_n(s, **a**) of every goal n ``[B, N]`` for one joint action
    ``[B, N, A]``."""
    main = self.inputs.critic_main(state, observations, joint_one_hot)
    side = tf.concat([self.inputs.others_state(state),
                      self.inputs.others_actions(joint_one_hot)], -1)
    flat = net(tf.reshape(main, [-1, main.shape[-1]]),
               tf.reshape(side, [-1, side.shape[-1]]))
    return tf.reshape(flat, [-1, self.num_agents])

  def credit_values(self, net, state, observations,
                    actions: Optional[tf.Tensor] = None) -> tf.Tensor:
    """Q_n(s, â^m) for every goal n, agent m and action â.

    The main input of (n, m, â) is (s_env, o_self^n, s^n, â, g^n) and the
    side input (s^m, s^{-n}) (thesis §3.3.5, footnote 5). Images are encoded
    once per goal n and shared by every (m, â).

    Args:
      net: the credit network (online or target).
      state: ``[B, S]``.
      observations: ``[B, N, D]``.
      actions: one-hot ``[B, N(n), N(m), K, A]`` actions to evaluate; None
        evaluates every action (K = A).

    Returns:
      ``[B, N, N, K]``.
    """
    n, a = self.num_agents, self.layout.max_actions
    batch = tf.shape(state)[0]
    if actions is None:
      actions = tf.broadcast_to(tf.eye(a), tf.stack([batch, n, n, a, a]))
    shape = tf.shape(actions)[:-1]                             # [B,N,N,K]
    main = self.inputs.critic_main(state, observations, None)  # [B, N, M]
    encoded = net.trunk.encode(tf.reshape(main, [-1, main.shape[-1]]))
    encoded = tf.reshape(encoded, [-1, n, 1, 1, encoded.shape[-1]])
    own = self.inputs.agent_states(state)[:, None, :, None, :]
    others = self.inputs.others_state(state)[:, :, None, None, :]
    rows = tf.concat([
        tf.broadcast_to(encoded, tf.concat([shape, [encoded.shape[-1]]], 0)),
        actions], -1)
    side = tf.concat([
        tf.broadcast_to(own, tf.concat([shape, [own.shape[-1]]], 0)),
        tf.broadcast_to(others, tf.concat([shape, [others.shape[-1]]], 0))],
                     -1)
    flat = net.head(tf.reshape(rows, [-1, rows.shape[-1]]),
                    tf.reshape(side, [-1, side.shape[-1]]))
    return tf.reshape(flat, shape)

  def state_values(self, net, state, observations) -> tf.Tensor:
    """V_n(s) of every goal n ``[B, N]`` (the QV ablation)."""
    main = self.inputs.critic_main(state, observations, None)
    side = self.inputs.others_state(state)
    flat = net(tf.reshape(main, [-1, main.shape[-1]]),
               tf.reshape(side, [-1, side.shape[-1]]))
    return tf.reshape(flat, [-1, self.num_agents])

  # ------------------------------------------------------------- updates
  def next_actions(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    """a' ~ π̃' (target actor, current ε) one-hot ``[B, N, A]``."""
    probs = self.policy_probs(self.target_actor, batch["next_observation"],
                              self.epsilon)
    return self.one_hot(self.sample_actions(probs))

  def _update(self, batch: Dict[str, tf.Tensor]) -> tf.Tensor:
    if self.config.stage == 1:
      return self._stage1_update(batch)
    return self._stage2_update(batch)

  def _bootstrap(self, batch, next_values: tf.Tensor) -> tf.Tensor:
    """r + γ d V' with rewards ``[B, N]`` broadcast against `next_values`."""
    reward, discount = batch["reward"], batch["discount"]
    extra = len(next_values.shape) - 2
    for _ in range(extra):
      reward = reward[..., None]
    discount = tf.reshape(discount, [-1] + [1] * (len(next_values.shape) - 1))
    return tf.stop_gradient(reward + self.config.gamma * discount
                            * next_values)

  def _stage1_update(self, batch):
    state, obs = batch["state"], batch["observation"]
    taken = self.one_hot(batch["action"])
    target_q = self.stage1_q(self.target_q1, batch["next_state"],
                             batch["next_observation"],
                             self.next_actions(batch))
    targets = self._bootstrap(batch, target_q)                   # [B, 1]
    self.regression_step(
        self._critic_optimizer, self.q1.trainable_variables,
        lambda: tf.reduce_mean(
            (targets - self.stage1_q(self.q1, state, obs, taken)) ** 2))
    advantage = self.stage1_advantage(state, obs, taken)
    return self.policy_step(batch, advantage)

  def stage1_advantage(self, state, obs, taken) -> tf.Tensor:
    """Q¹(s, a) − Σ_â π̃(â) Q¹(s, â) ``[B, 1]`` (Eq. A.10)."""
    a = self.layout.max_actions
    all_actions = tf.broadcast_to(tf.eye(a), tf.stack(
        [tf.shape(state)[0], 1, a, a]))
    q_all = self.stage1_q(self.q1, state, obs, all_actions)      # [B, 1, A]
    probs = self.policy_probs(self.actor, obs, self.epsilon)
    q_taken = tf.reduce_sum(q_all * taken, -1)
    return tf.stop_gradient(q_taken - tf.reduce_sum(probs * q_all, -1))

  def _stage2_update(self, batch):
    state, obs = batch["state"], batch["observation"]
    taken = self.one_hot(batch["action"])
    next_joint = self.next_actions(batch)
    global_targets = self._bootstrap(batch, self.global_values(
        self.target_global_q, batch["next_state"], batch["next_observation"],
        next_joint))                                             # [B, N]
    self.regression_step(
        self._critic_optimizer, self.global_q.trainable_variables,
        lambda: tf.reduce_mean((global_targets - self.global_values(
            self.global_q, state, obs, taken)) ** 2))
    if self.config.advantage == "credit":
      credit_targets = self._bootstrap(batch, self.credit_taken(
          self.target_credit_q, batch["next_state"],
          batch["next_observation"], next_joint))                # [B, N, N]
      self.regression_step(
          self._second_optimizer, self.credit_q.trainable_variables,
          lambda: tf.reduce_mean((credit_targets - self.credit_taken(
              self.credit_q, state, obs, taken)) ** 2), slot=1)
    else:
      value_targets = self._bootstrap(batch, self.state_values(
          self.target_value, batch["next_state"],
          batch["next_observation"]))
      self.regression_step(
          self._second_optimizer, self.value.trainable_variables,
          lambda: tf.reduce_mean((value_targets - self.state_values(
              self.value, state, obs)) ** 2), slot=1)
    return self.policy_step(batch, self.stage2_weights(state, obs, taken))

  def credit_taken(self, net, state, obs, joint_one_hot) -> tf.Tensor:
    """Q_n(s, a^m) at the actions a^m of `joint_one_hot` ``[B, N, N]``."""
    n = self.num_agents
    actions = tf.broadcast_to(
        joint_one_hot[:, None, :, None, :],
        tf.concat([tf.shape(joint_one_hot)[:1], [n, n, 1],
                   tf.shape(joint_one_hot)[-1:]], 0))
    return self.credit_values(net, state, obs, actions)[..., 0]

  def stage2_weights(self, state, obs, taken) -> tf.Tensor:
    """Σ_n A_{n,m} ``[B, N]`` for each agent m (Eq. 3.6, or QV)."""
    q_global = self.global_values(self.global_q, state, obs, taken)  # [B,N]
    advantages = q_global[:, :, None] - self.baselines(state, obs)   # [B,N,M]
    return tf.stop_gradient(tf.reduce_sum(advantages, 1))

  def baselines(self, state, obs) -> tf.Tensor:
    """b_{n,m}(s) that agent m's weight subtracts for goal n ``[B, N, M]``:
    Σ_â π̃(â|o^m) Q_n(s, â^m) with the credit function (Eq. 3.6), V_n(s)
    for every m with QV. With exact critics both are V_n(s) (Eq. 3.3)."""
    if self.config.advantage == "credit":
      probs = self.policy_probs(self.actor, obs, self.epsilon)       # [B,M,A]
      return tf.reduce_sum(
          probs[:, None] * self.credit_values(self.credit_q, state, obs), -1)
    values = self.state_values(self.value, state, obs)               # [B, N]
    return tf.repeat(values[:, :, None], self.num_agents, -1)

  def exact_state_values(self, state, obs) -> tf.Tensor:
    """V_n(s) = Σ_a π̃(a) Q_n(s, a) ``[B, N]`` from the global Q, summed
    over all A^N joint actions: the value both baselines estimate, for
    measuring their error on small teams."""
    n, a = self.num_agents, self.layout.max_actions
    if a ** n > 4096:
      raise ValueError(f"{a}^{n} joint actions are too many to enumerate")
    grid = tf.stack(tf.meshgrid(*[tf.range(a)] * n, indexing="ij"), -1)
    joint = tf.one_hot(tf.reshape(grid, [-1, n]), a)              # [J, N, A]
    count = joint.shape[0]
    probs = self.policy_probs(self.actor, obs, self.epsilon)       # [B, N, A]
    joint_probs = tf.reduce_prod(
        tf.einsum("bma,jma->bjm", probs, joint), -1)               # [B, J]
    batch = tf.shape(state)[0]
    tile = lambda x: tf.repeat(x, count, 0)
    q = self.global_values(
        self.global_q, tile(state), tile(obs),
        tf.tile(joint, [batch, 1, 1]))                             # [B*J, N]
    q = tf.reshape(q, [batch, count, n])
    return tf.einsum("bj,bjn->bn", joint_probs, q)
