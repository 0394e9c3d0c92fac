"""1-episode LIO: the ablation of thesis App. B.5.1 (Fig. B.3d).

LIO updates its incentive function on a second rollout played by the updated
policies θ̂ (online cross-validation). This variant does not wait: each
iteration plays one episode τ, updates the policies on it, then updates the
incentive functions on the same τ. As τ came from the old behaviour policies
π̃_θ, each Eq. 5.10 term at step t is weighted by the per-decision
importance ratio of the joint action,

  w_t = Π_{t' <= t} Π_k π_θ̂^k(a_t'^k | o_t'^k) / π̃_θ^k(a_t'^k | o_t'^k),

held constant in the gradient (the thesis names importance corrections but
not their form; this is ours).
"""

from __future__ import annotations

import tensorflow as tf

from mmagents.agents import pg
from mmagents.core import returns as returns_lib
from mmagents.lio import agent as lio


class OneEpisodeLIOAgent(lio.LIOAgent):
  """LIO whose incentive step reuses the episode of the policy step."""

  def train_iteration(self, collect):
    experience = collect()
    self.update_policies(experience)
    return self.train(lio.LIOExperience(experience, experience)), [experience]

  def _outer_weights(self, experience, new_log_probs: tf.Tensor) -> tf.Tensor:
    mask = returns_lib.valid_mask(experience)[..., None]          # [B,T,1]
    old_probs = self.policy_probs(self._policy_before,
                                  self._policy_inputs(experience),
                                  self.epsilon)
    old_log_probs = pg.log_prob_taken(
        old_probs, self.layout.stack_actions(experience.action), mask)
    step_log_ratio = tf.reduce_sum(mask * (new_log_probs - old_log_probs),
                                   axis=-1)                      # [B,T]
    starts = tf.cast(experience.is_first(), tf.float32)
    # Running sum restarted at every episode start.
    cumulative = tf.transpose(tf.scan(
        lambda total, x: (1.0 - x[1]) * total + x[0],
        (tf.transpose(step_log_ratio), tf.transpose(starts)),
        initializer=tf.zeros_like(step_log_ratio[:, 0])))
    return tf.stop_gradient(tf.exp(cumulative))[..., None]
