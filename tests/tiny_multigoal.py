"""A tiny multi-goal game for fast tests of CM3 and its baselines.

N agents walk on a line of `length` cells (actions: 0 stay, 1 left,
2 right, 3 and 4 stay); agent n's goal is a cell. Reward of agent n:
−|x_n − goal_n| / length, and −1 when another agent shares its cell.
Observation ``[one-hot x_n | one-hot goal_n | one-hot x_m for m ≠ n]``;
state ``[one-hot x_n for every n]``; optionally a ``1 x length x 1`` image of
the occupied cells at the front of o_self (to exercise image inputs).
"""

from __future__ import annotations

import numpy as np
from tf_agents.specs import array_spec

from environments import base
from environments import multigoal


class TinyMultiGoal(base.MultiAgentPyEnvironment):
  """N walkers with goal cells on a line."""

  def __init__(self, num_agents: int = 2, length: int = 4,
               max_steps: int = 5, with_image: bool = False,
               starts=None, goals=None, seed=None):
    super().__init__(num_agents, max_steps, seed=seed, has_state=True)
    self.length = length
    self.with_image = with_image
    self._starts = np.array(starts if starts is not None
                            else np.arange(num_agents) % length)
    self._goals = np.array(goals if goals is not None
                           else (length - 1 - np.arange(num_agents)) % length)
    image = length if with_image else 0
    self.multigoal_parts = multigoal.MultiGoalParts(
        num_agents=num_agents, self_size=image + length, goal_size=length,
        others_size=(num_agents - 1) * length, env_state_size=0,
        agent_state_size=length,
        self_image_shape=(1, length, 1) if with_image else None)
    self.positions = self._starts.copy()

  def _agent_observation_spec(self, index):
    return array_spec.ArraySpec((self.multigoal_parts.observation_size,),
                                np.float32)

  def _agent_action_spec(self, index):
    return array_spec.BoundedArraySpec((), np.int64, 0, 4)

  def _state_spec(self):
    return array_spec.ArraySpec((self.multigoal_parts.state_size,),
                                np.float32)

  def _reset_state(self):
    self.positions = self._starts.copy()
    return {"collisions": np.zeros(self.num_agents)}

  def _observe(self):
    eye = np.eye(self.length, dtype=np.float32)
    occupied = eye[self.positions].sum(0).clip(0, 1)
    out = {}
    for n, agent in enumerate(self.agent_ids):
      others = [eye[self.positions[m]] for m in range(self.num_agents)
                if m != n]
      image = [occupied] if self.with_image else []
      out[agent] = np.concatenate(image + [eye[self.positions[n]],
                                           eye[self._goals[n]]] + others)
    out[base.STATE_KEY] = eye[self.positions].reshape(-1)
    return out

  def _transition(self, actions):
    moves = np.array([0, -1, 1, 0, 0])[actions]
    self.positions = np.clip(self.positions + moves, 0, self.length - 1)
    counts = np.bincount(self.positions, minlength=self.length)
    collided = counts[self.positions] > 1
    self._events["collisions"] += collided
    rewards = (-np.abs(self.positions - self._goals) / self.length
               - collided.astype(np.float64))
    return rewards, False
