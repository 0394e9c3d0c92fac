"""The common base of every mmagents agent, on the TF-Agents `TFAgent` contract.

A method is one subclass. It builds its Keras networks, then calls
``super().__init__``, and implements

* ``_behaviour_probs(observation, explore)``: action probabilities of all
  agents at once, ``[B, N, A_max]`` (one batched network call), from which the
  base builds ``policy`` (no exploration) and ``collect_policy`` (exploring),
  both TF-Agents policies usable by drivers;
* ``_loss(experience, weights, training)``: a `LossInfo`;
* optionally ``_train`` (meta-gradient methods), ``begin_iteration``
  (schedules), ``scalars`` (values to log), ``observe_evaluation``
  (curricula driven by evaluation results) and ``build_pipeline`` (state
  kept between iterations).

The public ``train``/``loss`` of `TFAgent` call the protected versions; the
default ``_train`` takes one optimizer step on ``_loss`` and increments
``train_step_counter``. Everything (networks, optimizers, counters and the
random generators that policies sample with) is a tracked attribute, so
``tf.train.Checkpoint(agent=agent)`` saves and restores all of it.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from environments import base as env_base
from mmagents.core import layout as layout_lib
from mmagents.core import policies


def linear_decay(start: float, end: float, episodes: int,
                 episode: int) -> float:
  """`start` moving linearly to `end` over `episodes`, then `end` (ε)."""
  frac = min(1.0, episode / episodes)
  return start + frac * (end - start)


class MultiAgentTFAgent(tf_agent.TFAgent, abc.ABC):
  """Base class: N agents, dict specs, one joint policy call per step."""

  # Scalar `experience_metrics` keys that the progress line also prints.
  progress_metrics: Tuple[str, ...] = ()
  # Whether `train` takes experience of several environments (``[B, T]``
  # rows, any of which may end in an unfinished episode).
  batched_collection: bool = False

  def __init__(self,
               time_step_spec,
               action_spec,
               agent_ids: Sequence[str],
               optimizer: Optional[tf.keras.optimizers.Optimizer] = None,
               seed: int = 0,
               train_sequence_length: Optional[int] = None,
               name: Optional[str] = None):
    """Builds the policies and shared state.

    Args:
      time_step_spec: TF-Agents time step spec with a dict observation.
      action_spec: dict of scalar discrete action specs keyed by agent id.
      agent_ids: agent ids in index order (reward entry i = agent_ids[i]).
      optimizer: optimizer of the default `_train`.
      seed: seed of the sampling generators (collection and evaluation draw
        from separate streams, so evaluation never changes training).
      train_sequence_length: as in `TFAgent` (None = any length).
      name: module name.
    """
    tf.Module.__init__(self, name=name)
    self.layout = layout_lib.AgentLayout(agent_ids, time_step_spec.observation,
                                         action_spec)
    self._optimizer = optimizer
    self.collect_rng = tf.random.Generator.from_seed(seed)
    self.eval_rng = tf.random.Generator.from_seed(seed + 7919)
    policy = self._make_policy(time_step_spec, action_spec, explore=False,
                               generator=self.eval_rng, name="policy")
    collect_policy = self._make_policy(
        time_step_spec, action_spec, explore=True, generator=self.collect_rng,
        name="collect_policy")
    # Its own counter: TFAgent's default is the process-wide global step,
    # which every agent in a process (tests, tools) would share.
    super().__init__(time_step_spec, action_spec, policy, collect_policy,
                     train_sequence_length=train_sequence_length,
                     train_step_counter=tf.Variable(
                         0, dtype=tf.int64, trainable=False,
                         name="train_step"))

  @property
  def agent_ids(self) -> tuple:
    return self.layout.agent_ids

  @property
  def num_agents(self) -> int:
    return self.layout.num_agents

  def greedy_policy(self) -> policies.JointCategoricalPolicy:
    """The evaluation policy's mode: every agent takes its most probable
    action (a new, unsaved policy; raises ValueError for methods whose
    policy is not a plain joint categorical one)."""
    if type(self.policy) is not policies.JointCategoricalPolicy:  # pylint: disable=unidiomatic-typecheck
      raise ValueError(f"{type(self).__name__} has no greedy evaluation "
                       "policy (its policy also emits incentives or skills)")
    return self.policy.mode()

  # ------------------------------------------------------------- subclass API
  @abc.abstractmethod
  def _behaviour_probs(self, observation: Dict[str, tf.Tensor],
                       explore: bool) -> tf.Tensor:
    """Action probabilities ``[B, N, A_max]`` for a batch of observations."""

  @abc.abstractmethod
  def _trainable_variables(self) -> Sequence[tf.Variable]:
    """Variables that the default `_train` optimizes."""

  def _make_policy(self, time_step_spec, action_spec, explore: bool,
                   generator: tf.random.Generator, name: str):
    """The evaluation (explore=False) or collection policy.

    Called before the subclass's networks exist: policies may only capture
    methods, which run later.
    """
    return policies.JointCategoricalPolicy(
        time_step_spec, action_spec, self.layout.agent_ids,
        lambda obs: self._behaviour_probs(obs, explore=explore), generator,
        name=name)

  def train_iteration(self, collect: Callable[[], Any]
                      ) -> Tuple[tf_agent.LossInfo, List[Any]]:
    """One training iteration; `collect()` plays episodes with `collect_policy`.

    The default collects once and calls `train`. Methods whose iteration
    interleaves collection and updates (LIO: roll out, update the policies,
    roll out again, update the incentive functions) override this.

    Returns:
      The `LossInfo` and every experience collected (for step counts and
      returns).
    """
    experience = collect()
    return self.train(experience), [experience]

  def experience_metrics(self, experience) -> Dict[str, tf.Tensor]:
    """Method-specific evaluation metrics of a batch of episodes."""
    del experience
    return {}

  def begin_iteration(self, episode: int) -> None:
    """Called before each collection with the number of episodes so far."""
    del episode

  def scalars(self) -> Dict[str, float]:
    """Extra values (schedules, ...) that the runner logs."""
    return {}

  def observe_evaluation(self, row: Dict[str, Any]) -> None:
    """Sees each evaluation's metrics row (curricula driven by evaluation
    results, e.g. HSD's α); called before the checkpoint is saved."""
    del row

  def build_optimizers(self) -> None:
    """Creates optimizer state now, so checkpoints restore it eagerly."""
    if self._optimizer is not None:
      self._optimizer.build(self._trainable_variables())

  def build_pipeline(self, trajectory_length: int) -> None:
    """State sized by the padded training batch (``[1, trajectory_length]``)
    that must exist before a checkpoint restores it: MetaGrad keeps its last
    rollout for the next iteration. Default: none."""
    del trajectory_length

  # -------------------------------------------------------------- TFAgent API
  def _initialize(self):
    return tf.no_op()

  def _train(self, experience, weights=None):
    variables = self._trainable_variables()
    with tf.GradientTape() as tape:
      loss_info = self._loss(experience, weights=weights, training=True)
    gradients = tape.gradient(loss_info.loss, variables)
    self._optimizer.apply_gradients(zip(gradients, variables))
    self.train_step_counter.assign_add(1)
    return loss_info


class CentralizedTeamAgent(MultiAgentTFAgent):
  """Base of methods trained centrally on the global state, with one action
  set shared by all agents and ε decaying linearly over episodes.

  `config` needs ``epsilon_start``, ``epsilon_end`` and
  ``epsilon_episodes``. Sets ``self.config``, ``self.epsilon`` (a variable,
  so checkpoints keep it), ``self.state_size`` and ``self.train_rng`` (the
  generator that minibatch sampling draws from).
  """

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: Any, seed: int = 0, name: Optional[str] = None):
    observation = time_step_spec.observation
    if not (isinstance(observation, dict)
            and env_base.STATE_KEY in observation):
      raise ValueError(f"{type(self).__name__} needs the global state "
                       f"(observation['{env_base.STATE_KEY}'])")
    self.config = config
    self.epsilon = tf.Variable(config.epsilon_start, trainable=False,
                               name="epsilon")
    super().__init__(time_step_spec, action_spec, agent_ids, seed=seed,
                     name=name)
    if len(set(self.layout.num_actions)) != 1:
      raise ValueError(f"{type(self).__name__} needs one action set shared "
                       "by all agents")
    self.state_size = int(observation[env_base.STATE_KEY].shape[-1])
    self.train_rng = tf.random.Generator.from_seed(seed + 104_729)

  def begin_iteration(self, episode: int) -> None:
    c = self.config
    self.epsilon.assign(linear_decay(
        c.epsilon_start, c.epsilon_end, c.epsilon_episodes, episode))

  def scalars(self) -> Dict[str, float]:
    return {"epsilon": float(self.epsilon.numpy())}

  def explore_epsilon(self, explore: bool) -> tf.Tensor:
    """ε while collecting, 0 for the greedy (evaluation) policy."""
    return self.epsilon if explore else tf.constant(0.0)
