"""AC-c: actor-critic with continuous give-reward actions (Cleanup baseline).

PG-c's factorized policy (a discrete action and sigmoid-Gaussian rewards
given to the others, thesis App. B.4.2) on actor-critic learners: both
parts of the policy gradient use the TD advantage of Eq. B.9 on each
agent's rewards plus the gifts it received minus those it made, and the
critics fit those rewards.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence, Tuple

import tensorflow as tf

from mmagents.agents import ac
from mmagents.agents import pg_c

@dataclasses.dataclass(frozen=True)
class ACcConfig(pg_c.PGcConfig, ac.ACConfig):
  """Hyperparameters (defaults: thesis Table B.5, AC-c on 7x7 Cleanup)."""
  hidden_sizes: Tuple[int, ...] = (64, 64)
  learning_rate: float = 1e-4
  entropy_coeff: float = 0.1
  epsilon_start: float = 0.5
  epsilon_end: float = 0.05
  epsilon_episodes: int = 100
  incentive_hidden_sizes: Tuple[int, ...] = (64, 64)
  max_incentive: float = 2.0
  observe_given: bool = False
  watched_action: int = ac.CLEANUP_CLEAN_ACTION


class ACcAgent(pg_c.PGcAgent, ac.ActorCriticAgent):
  """Actor-critic learners whose actions include rewards given."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               config: ACcConfig = ACcConfig(), seed: int = 0,
               name: str = "ac_c"):
    super().__init__(time_step_spec, action_spec, agent_ids, config=config,
                     seed=seed, name=name)

  def critic_rewards(self, experience) -> tf.Tensor:
    return self.rewards_with_gifts(experience)
