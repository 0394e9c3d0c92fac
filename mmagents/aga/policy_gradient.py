"""Surrogate losses whose Hessians estimate policy-gradient Hessians.

A score-function loss -Σ_t log π(a_t) A_t has the right gradient but the
wrong Hessian: it misses the terms that come from the sampling
distribution moving (∇log π ∇log πᵀ), which are exactly where one agent's
policy meets another's. AgA needs H_c ξ_c, so its collective loss is the
"loaded DiCE" surrogate (Foerster et al. 2018; Farquhar et al. 2019):

  l_c = -Σ_t (□(S_t) - □(S_t - L_t)) A_t,   □(x) = exp(x - ⊥x),

with L_t = Σ_j log π_j(a_t^j | o_t^j) the joint log-probability of the
step, S_t = Σ_{t'≤t} L_t' its running sum within the episode (everything
that could have influenced reward t) and ⊥ the stop-gradient. □ is 1 in
value, so l_c is 0 and its gradient is the usual -Σ_t ∇L_t A_t; its second
derivative is -Σ_t A_t (∇L_t∇L_tᵀ + ∇L_t∇S_{t-1}ᵀ + ∇S_{t-1}∇L_tᵀ + ∇²L_t),
an estimate of the Hessian of the expected return that includes the
cross-agent and cross-time terms (unbiased when A_t is the return-to-go;
with a critic's advantage it trades that for lower variance).
"""

from __future__ import annotations

import tensorflow as tf


def magic_box(x: tf.Tensor) -> tf.Tensor:
  """□(x) = exp(x - ⊥x): 1 in value, d□/dx = □."""
  return tf.exp(x - tf.stop_gradient(x))


def episode_prefix_sums(values: tf.Tensor, is_first: tf.Tensor,
                        horizon: int = 0) -> tf.Tensor:
  """Σ values[b, t'] over the steps t' ≤ t of t's own episode ``[B, T]``,
  only the last `horizon` of them when `horizon` > 0.

  A row may hold several episodes; each starts where `is_first` is true.
  Built as one linear map (a [T, T] mask per row), so forward- and
  reverse-mode derivatives pass straight through it.
  """
  episode = tf.cumsum(tf.cast(is_first, tf.int32), axis=1)           # [B, T]
  same = tf.equal(episode[:, :, None], episode[:, None, :])         # [B,T,T]
  size = tf.shape(values)[1]
  earlier = tf.linalg.band_part(tf.ones([size, size], tf.bool),
                                horizon - 1 if horizon > 0 else -1, 0)
  prefix = tf.cast(tf.logical_and(same, earlier[None]), values.dtype)
  return tf.einsum("btu,bu->bt", prefix, values)


def loaded_dice_loss(log_probs: tf.Tensor, advantages: tf.Tensor,
                     is_first: tf.Tensor, horizon: int = 0) -> tf.Tensor:
  """The collective surrogate l_c, summed over ``[B, T]``.

  Args:
    log_probs: log π_j(a_t^j) ``[B, T, N]`` (0 at steps without an action).
    advantages: collective advantage A_t ``[B, T]`` (constant; 0 at steps
      without an action).
    is_first: episode starts ``[B, T]``.
    horizon: steps whose actions count as causes of reward t (0: every
      earlier step of the episode; 1: only step t, which keeps the
      cross-agent terms of each step and drops the cross-time ones, a
      lower-variance, biased Hessian for long episodes).
  """
  joint = tf.reduce_sum(log_probs, axis=-1)                          # L_t
  running = episode_prefix_sums(joint, is_first, horizon)            # S_t
  weights = magic_box(running) - magic_box(running - joint)
  return -tf.reduce_sum(weights * tf.stop_gradient(advantages))
