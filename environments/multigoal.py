"""The observation and state layout of multi-goal environments (CM3).

CM3's function augmentation needs to know which part of an observation
describes the agent itself, its goal and the other agents, and which part of
the global state belongs to the environment and to each agent (thesis
§3.3.4). Our observations stay flat float32 vectors (one per agent, as every
agent of the framework expects), laid out in a fixed order that
`MultiGoalParts` describes:

* agent observation = ``[o_self | goal | o_others]``, where ``o_self`` and
  ``o_others`` may start with a flattened image (``self_image_shape``,
  ``others_image_shape``; row-major ``H, W, C``), e.g. SUMO's grid of the
  vehicles around the agent;
* global state ``observation["state"]`` = ``[s_env | s^0 | s^1 | ...]``, where
  ``s_env`` may start with a flattened image (``env_image_shape``) and every
  ``s^n`` has ``agent_state_size`` entries.

The induced single-agent MDP of Stage 1 has ``others_size == 0`` and one
agent; its ``o_self``, goal, ``s_env`` and ``s^n`` have the same sizes as in
the Markov game, so Stage-1 networks take Stage-2 inputs unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class MultiGoalParts:
  """Sizes of the parts of observations and the global state."""
  num_agents: int
  self_size: int
  goal_size: int
  others_size: int
  env_state_size: int
  agent_state_size: int
  self_image_shape: Optional[Tuple[int, int, int]] = None
  env_image_shape: Optional[Tuple[int, int, int]] = None
  others_image_shape: Optional[Tuple[int, int, int]] = None

  def __post_init__(self):
    for name in ("self_size", "goal_size", "agent_state_size"):
      if getattr(self, name) < 1:
        raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
    for name in ("others_size", "env_state_size"):
      if getattr(self, name) < 0:
        raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
    for name, total in (("self_image_shape", self.self_size),
                        ("env_image_shape", self.env_state_size),
                        ("others_image_shape", self.others_size)):
      shape = getattr(self, name)
      if shape is not None and int(np.prod(shape)) > total:
        raise ValueError(f"{name} {shape} does not fit in {total} entries")

  @property
  def observation_size(self) -> int:
    return self.self_size + self.goal_size + self.others_size

  @property
  def state_size(self) -> int:
    return self.env_state_size + self.num_agents * self.agent_state_size

  def split_observation(self, observation):
    """``[..., observation_size]`` → ``(o_self, goal, o_others)``."""
    goal_start = self.self_size
    others_start = goal_start + self.goal_size
    return (observation[..., :goal_start],
            observation[..., goal_start:others_start],
            observation[..., others_start:])

  def split_state(self, state):
    """``[..., state_size]`` → ``(s_env [..., E], agents [..., N, S])``."""
    env = state[..., :self.env_state_size]
    agents = state[..., self.env_state_size:]
    if isinstance(agents, np.ndarray):
      return env, agents.reshape(agents.shape[:-1] + (
          self.num_agents, self.agent_state_size))
    shape = tf.concat([tf.shape(agents)[:-1],
                       [self.num_agents, self.agent_state_size]], 0)
    return env, tf.reshape(agents, shape)
