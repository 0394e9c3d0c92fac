"""A joint categorical policy for all agents, usable by TF-Agents drivers.

One `action()` call evaluates every agent (a single batched network call) and
returns a dict of per-agent actions. Sampling uses a `tf.random.Generator`
owned by the agent, so its state is checkpointed and a resumed run draws the
same actions as an uninterrupted one.
"""

from __future__ import annotations

from typing import Callable, Optional

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.trajectories import policy_step

# (observation dict [B, ...]) -> behaviour probabilities [B, N, A_max].
ProbsFn = Callable[[dict], tf.Tensor]


def gumbel_max_sample(probs: tf.Tensor, generator: tf.random.Generator,
                      greedy: bool = False) -> tf.Tensor:
  """Samples indices from categorical `probs` along the last axis."""
  logits = tf.math.log(tf.maximum(probs, 1e-30))
  if greedy:
    return tf.argmax(logits, axis=-1, output_type=tf.int32)
  uniform = generator.uniform(tf.shape(probs), minval=1e-20, maxval=1.0)
  return tf.argmax(logits - tf.math.log(-tf.math.log(uniform)), axis=-1,
                   output_type=tf.int32)


class JointCategoricalPolicy(tf_policy.TFPolicy):
  """Samples every agent's discrete action from given probabilities."""

  def __init__(self, time_step_spec, action_spec, agent_ids, probs_fn: ProbsFn,
               generator: tf.random.Generator, greedy: bool = False,
               name: Optional[str] = None):
    super().__init__(time_step_spec, action_spec, name=name)
    self._agent_ids = tuple(agent_ids)
    self._probs_fn = probs_fn
    self._generator = generator
    self._greedy = greedy

  def mode(self, name: str = "greedy_policy") -> "JointCategoricalPolicy":
    """The same probabilities, each agent taking its most probable action."""
    return JointCategoricalPolicy(self.time_step_spec, self.action_spec,
                                  self._agent_ids, self._probs_fn,
                                  self._generator, greedy=True, name=name)

  def _distribution(self, time_step, policy_state):
    probs = self._probs_fn(time_step.observation)
    dists = {a: tfp.distributions.Categorical(probs=probs[:, i],
                                              dtype=self._dtype(a))
             for i, a in enumerate(self._agent_ids)}
    return policy_step.PolicyStep(dists, policy_state, ())

  def _action(self, time_step, policy_state, seed):
    del seed  # Sampling uses the checkpointed generator.
    probs = self._probs_fn(time_step.observation)
    joint = gumbel_max_sample(probs, self._generator, self._greedy)
    actions = {a: tf.cast(joint[:, i], self._dtype(a))
               for i, a in enumerate(self._agent_ids)}
    return policy_step.PolicyStep(actions, policy_state, ())

  def _dtype(self, agent_id: str) -> tf.DType:
    return self.action_spec[agent_id].dtype
