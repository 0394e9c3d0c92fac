"""What HSD and its flat baselines (IQL, QMIX; thesis §4.3.2) share.

Value-based team agents on a fully cooperative game with a global state
(STS2): parameter-shared networks, ε-greedy behaviour with ε decaying
linearly over episodes, circular replay buffers and off-policy minibatch
updates "every ``steps_per_train`` steps" of a level (taken after each
collected batch of episodes, so collection stays one compiled driver call;
steps collected before a buffer holds one minibatch get no updates). The
team reward is the mean of the agents' reward vector (STS2 gives every
agent the same team reward).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, Tuple

import tensorflow as tf
from tf_agents.agents import tf_agent

from environments import base as env_base
from mmagents.core import agent as agent_lib
from mmagents.core import config_args
from mmagents.core import replay as replay_lib


@dataclasses.dataclass(frozen=True)
class TeamQConfig:
  """Shared hyperparameters (defaults: thesis §4.3.2)."""
  hidden_sizes: Tuple[int, ...] = (128, 128)
  learning_rate: float = 1e-4
  gamma: float = 0.99
  target_update_rate: float = 0.01
  epsilon_start: float = 0.5
  epsilon_end: float = 0.05
  epsilon_episodes: int = 1_000
  replay_capacity: int = 100_000
  batch_size: int = 256
  steps_per_train: int = 10
  grad_clip_norm: float = 0.0           # 0: no clipping.

  def __post_init__(self):
    if not self.hidden_sizes or min(self.hidden_sizes) < 1:
      raise ValueError("hidden_sizes needs at least one positive width")
    config_args.check_ranges(
        self, at_least_one=("epsilon_episodes", "replay_capacity",
                            "batch_size", "steps_per_train"),
        positive=("learning_rate",),
        probabilities=("epsilon_start", "epsilon_end"))
    if self.grad_clip_norm < 0:
      raise ValueError("grad_clip_norm must be >= 0 (0: no clipping)")


Steps = Dict[str, tf.Tensor]


class TeamQAgent(agent_lib.CentralizedTeamAgent):
  """Base: per-step views of experience, update scheduling (the ε schedule
  comes from `CentralizedTeamAgent`).

  Subclasses implement `_learn(experience)` (add to their buffers, run the
  due updates, return a loss) and `_behaviour_probs` or their own policy.
  """

  # ----------------------------------------------------------- experience
  def steps(self, experience) -> Steps:
    """Per-step tensors of the single collected row ``[T, ...]``: stacked
    observations and state with their successors, actions, team reward,
    discount and the valid (non-boundary, non-padding) mask."""
    observation = self.layout.stack_observations(experience.observation)[0]
    state = tf.cast(experience.observation[env_base.STATE_KEY][0],
                    tf.float32)
    shift = lambda x: tf.concat([x[1:], x[-1:]], 0)
    return {"observation": observation, "next_observation": shift(observation),
            "state": state, "next_state": shift(state),
            "action": self.layout.stack_actions(experience.action)[0],
            "team_reward": tf.reduce_mean(experience.reward[0], -1),
            "discount": tf.cast(experience.discount[0], tf.float32),
            "valid": ~experience.is_boundary()[0]}

  def per_agent(self, values: tf.Tensor) -> tf.Tensor:
    """``[T, N, ...]`` → ``[T·N, ...]`` (agent rows of a shared learner)."""
    return tf.reshape(values, tf.concat([[-1], tf.shape(values)[2:]], 0))

  def repeat_for_agents(self, values: tf.Tensor) -> tf.Tensor:
    """``[T, ...]`` → ``[T·N, ...]``, each step's value for every agent."""
    return tf.repeat(values, self.num_agents, axis=0)

  # ------------------------------------------------------------- updates
  def run_updates(self, replay: replay_lib.TransitionReplay,
                  steps_seen: tf.Tensor, updates_done: tf.Variable,
                  update_fn: Callable[[], tf.Tensor]) -> tf.Tensor:
    """Runs the updates due (one per ``steps_per_train`` steps seen, once
    `replay` holds a minibatch); returns the last loss (0 if none)."""
    k = self.config.steps_per_train
    due = steps_seen // k - updates_done
    ready = replay.size >= self.config.batch_size
    count = tf.where(ready, due, tf.zeros_like(due))
    _, loss = tf.while_loop(lambda i, _: i < count,
                            lambda i, _: (i + 1, update_fn()),
                            (tf.constant(0, count.dtype), tf.constant(0.0)))
    updates_done.assign(steps_seen // k)
    return loss

  def _learn(self, experience) -> tf.Tensor:
    raise NotImplementedError

  # -------------------------------------------------------------- TFAgent
  def _train(self, experience, weights=None):
    del weights
    loss = self._learn(experience)
    self.train_step_counter.assign_add(1)
    return tf_agent.LossInfo(loss, ())

  def _loss(self, experience, weights=None, training: bool = False):
    raise NotImplementedError("value methods train on replay minibatches; "
                              "use train()")

  def _trainable_variables(self):
    return []
