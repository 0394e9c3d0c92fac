"""Network inputs of multi-goal methods, cut from observations and the state.

Observations are stacked ``[B, N, D]`` and the global state is ``[B, S]``,
laid out as `environments.multigoal.MultiGoalParts` describes. Each function
returns the *main* input (what a Stage-1 network reads: the agent's own
observation, goal, its part of the state and an action) and the *side*
input (what only a Stage-2 module reads: the other agents), with images at
the front of main inputs in the order of `critic_images` / `policy_images`.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import tensorflow as tf

from environments import multigoal
from mmagents.core import augmentation


class MultiGoalInputs:
  """Input builders for N agents with `parts` and `num_actions` actions."""

  def __init__(self, parts: multigoal.MultiGoalParts, num_actions: int):
    self.parts = parts
    self.num_actions = num_actions
    n = parts.num_agents
    # others[n] = every agent index but n, in order: [N, N-1].
    self._others = np.array([[m for m in range(n) if m != k]
                             for k in range(n)], np.int32).reshape(n, n - 1)
    self.self_image_size = (int(np.prod(parts.self_image_shape))
                            if parts.self_image_shape else 0)
    self.env_image_size = (int(np.prod(parts.env_image_shape))
                           if parts.env_image_shape else 0)

  @property
  def num_agents(self) -> int:
    return self.parts.num_agents

  # ------------------------------------------------------------ policies
  def policy_images(self, conv: Optional[augmentation.ImageInput]
                    ) -> List[augmentation.ImageInput]:
    """The policy's image encoder: the own view, if there is one."""
    if self.parts.self_image_shape is None or conv is None:
      return []
    return [conv]

  def policy(self, observations: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    """``(o_self, g)`` and ``o_others`` of every agent: ``[B, N, ·]``."""
    own, goal, others = self.parts.split_observation(observations)
    return tf.concat([own, goal], -1), others

  @property
  def policy_main_size(self) -> int:
    return self.parts.self_size + self.parts.goal_size

  # ------------------------------------------------------------- critics
  def critic_images(self, env_conv: Optional[augmentation.ImageInput],
                    self_conv: Optional[augmentation.ImageInput]
                    ) -> List[augmentation.ImageInput]:
    """Critic image encoders: the state's image, then the own view."""
    images = []
    if self.parts.env_image_shape is not None and env_conv is not None:
      images.append(env_conv)
    if self.parts.self_image_shape is not None and self_conv is not None:
      images.append(self_conv)
    return images

  def critic_main_size(self, with_action: bool = True) -> int:
    p = self.parts
    return (p.env_state_size + p.self_size + p.agent_state_size + p.goal_size
            + (self.num_actions if with_action else 0))

  def critic_main(self, state: tf.Tensor, observations: tf.Tensor,
                  action_one_hot: Optional[tf.Tensor]) -> tf.Tensor:
    """Main critic input of every goal n: ``(s_env, o_self^n, s^n, a, g^n)``.

    Args:
      state: ``[B, S]``.
      observations: ``[B, N, D]``.
      action_one_hot: ``[B, N, ..., A]`` actions evaluated for goal n (extra
        axes, e.g. agent m and counterfactual â, broadcast the rest), or
        None for a state-value input.

    Returns:
      ``[B, N, ..., D_main]`` with images first.
    """
    env, agents = self.parts.split_state(state)
    own, goal, _ = self.parts.split_observation(observations)
    n = self.num_agents
    env = tf.broadcast_to(env[:, None, :],
                          tf.concat([tf.shape(env)[:1], [n],
                                     tf.shape(env)[1:]], 0))
    pieces = [env[..., :self.env_image_size], own[..., :self.self_image_size],
              env[..., self.env_image_size:], own[..., self.self_image_size:],
              agents, goal]
    main = tf.concat(pieces, -1)                                   # [B, N, M]
    if action_one_hot is None:
      return main
    extra = len(action_one_hot.shape) - 3
    for _ in range(extra):
      main = main[:, :, None]
    main = tf.broadcast_to(main, tf.concat(
        [tf.shape(action_one_hot)[:-1], tf.shape(main)[-1:]], 0))
    return tf.concat([main, action_one_hot], -1)

  def others_state(self, state: tf.Tensor) -> tf.Tensor:
    """``s^{-n}`` of every n: ``[B, N, (N-1) S_a]``."""
    _, agents = self.parts.split_state(state)
    return self.others_of(agents)

  def others_actions(self, action_one_hot: tf.Tensor) -> tf.Tensor:
    """``a^{-n}`` one-hot of every n: ``[B, N, (N-1) A]``."""
    return self.others_of(action_one_hot)

  def agent_states(self, state: tf.Tensor) -> tf.Tensor:
    """``s^m`` of every agent: ``[B, N, S_a]``."""
    return self.parts.split_state(state)[1]

  def others_of(self, per_agent: tf.Tensor) -> tf.Tensor:
    """``[B, N, F]`` → every n's concatenation of the others' ``[B, N,
    (N-1) F]``, in index order."""
    gathered = tf.gather(per_agent, self._others, axis=1)      # [B,N,N-1,F]
    width = (self.num_agents - 1) * per_agent.shape[-1]
    return tf.reshape(gathered, [-1, self.num_agents, width])
