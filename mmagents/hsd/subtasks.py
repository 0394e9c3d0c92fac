"""Hand-scripted subtask rewards of the HSD-scripted baseline (thesis
§4.3.2): skill 0 earns +1 when its agent scores while holding the puck,
skill 1 earns +1 when its agent takes the puck from the opponent team.

Read off STS2's observation layout (`environments.sts2.team_sports`):
index 4 is "this agent has the puck" and ``6 + 4N`` "the opponent team has
the puck"; a goal is a step whose team reward exceeds 0.5 (only a goal
gives more than the 0.1 possession change). Taking the puck counts checks
and interceptions alike: the opponents held it before the step, this agent
holds it after.
"""

from __future__ import annotations

import tensorflow as tf

SELF_HAS_PUCK = 4
NUM_SUBTASKS = 2


def opponent_has_puck_index(num_agents: int) -> int:
  return 6 + 4 * num_agents


def subtask_rewards(observation: tf.Tensor, next_observation: tf.Tensor,
                    team_reward: tf.Tensor, skills: tf.Tensor) -> tf.Tensor:
  """Per-step, per-agent rewards ``[T, N]`` of the skills in force.

  Args:
    observation: ``[T, N, D]`` STS2 observations.
    next_observation: the observations after each step.
    team_reward: ``[T]``.
    skills: ``[T, N]`` ints in {0, 1}.
  """
  num_agents = observation.shape[1]
  opponents = opponent_has_puck_index(num_agents)
  held = observation[..., SELF_HAS_PUCK] > 0.5
  scored = tf.logical_and((team_reward > 0.5)[:, None], held)
  took = tf.logical_and(observation[..., opponents] > 0.5,
                        next_observation[..., SELF_HAS_PUCK] > 0.5)
  reward = tf.where(tf.equal(skills, 0), tf.cast(scored, tf.float32),
                    tf.cast(took, tf.float32))
  return tf.where(skills < NUM_SUBTASKS, reward, 0.0)
