"""HSD's two-level joint policy as a TF-Agents policy with state.

The policy state holds every agent's current skill and a clock of steps
since the episode began (TF-Agents resets it to zeros on an episode's first
step). When the clock is a multiple of ``segment_length`` every agent picks
a new skill from the high-level distribution; in between skills persist.
Each step every agent then acts from the low-level distribution given its
skill. The policy info records the skills in force and whether this step
starts a segment, so training can cut the collected experience into
segments (`segments.split`).
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step

from mmagents.core import policies

# (observation dict [B, ...]) -> skill probabilities [B, N, Z].
SkillProbsFn = Callable[[dict], tf.Tensor]
# (observation dict [B, ...], skills [B, N]) -> action probabilities [B, N, A].
ActionProbsFn = Callable[[dict, tf.Tensor], tf.Tensor]


class SkillPolicy(tf_policy.TFPolicy):
  """Skills every ``segment_length`` steps, primitive actions every step."""

  def __init__(self, time_step_spec, action_spec, agent_ids: Sequence[str],
               segment_length: int, skill_probs_fn: SkillProbsFn,
               action_probs_fn: ActionProbsFn,
               generator: tf.random.Generator, name: Optional[str] = None):
    n = len(agent_ids)
    state_spec = {"skill": tf.TensorSpec([n], tf.int32, "skill"),
                  "clock": tf.TensorSpec([], tf.int32, "clock")}
    info_spec = {"skill": tf.TensorSpec([n], tf.int32, "skill"),
                 "new_segment": tf.TensorSpec([], tf.bool, "new_segment")}
    super().__init__(time_step_spec, action_spec, policy_state_spec=state_spec,
                     info_spec=info_spec, name=name)
    self._agent_ids = tuple(agent_ids)
    self._segment_length = int(segment_length)
    self._skill_probs_fn = skill_probs_fn
    self._action_probs_fn = action_probs_fn
    self._generator = generator

  def _skills_and_info(self, observation, policy_state):
    clock = policy_state["clock"]
    new = tf.equal(clock % self._segment_length, 0)
    fresh = policies.gumbel_max_sample(self._skill_probs_fn(observation),
                                       self._generator)
    skills = tf.where(new[:, None], fresh, policy_state["skill"])
    state = {"skill": skills, "clock": clock + 1}
    return skills, state, {"skill": skills, "new_segment": new}

  def _action(self, time_step, policy_state, seed):
    del seed  # Sampling uses the agent's checkpointed generator.
    obs = time_step.observation
    skills, state, info = self._skills_and_info(obs, policy_state)
    joint = policies.gumbel_max_sample(self._action_probs_fn(obs, skills),
                                       self._generator)
    actions = {a: tf.cast(joint[:, i], self.action_spec[a].dtype)
               for i, a in enumerate(self._agent_ids)}
    return policy_step.PolicyStep(actions, state, info)

  def _distribution(self, time_step, policy_state):
    obs = time_step.observation
    skills, state, info = self._skills_and_info(obs, policy_state)
    probs = self._action_probs_fn(obs, skills)
    dists = {a: tfp.distributions.Categorical(
        probs=probs[:, i], dtype=self.action_spec[a].dtype)
             for i, a in enumerate(self._agent_ids)}
    return policy_step.PolicyStep(dists, state, info)
