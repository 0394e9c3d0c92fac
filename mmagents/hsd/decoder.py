"""HSD's skill decoder p_ψ(z | τ) (thesis §4.2.2, §4.3.2).

A bidirectional LSTM (``units`` per direction) reads the preprocessed
segment (`segments.decoder_inputs`: downsampled observation features as
consecutive differences), its outputs are mean-pooled over the valid time
steps and a dense softmax layer gives a probability per skill. The
intrinsic reward of a segment is the probability of the skill that
generated it (Eq. 4.4, a probability, not a log-probability).
"""

from __future__ import annotations

import tensorflow as tf


class SkillDecoder(tf.keras.Model):
  """BiLSTM → masked mean over time → logits over skills."""

  def __init__(self, num_skills: int, feature_size: int, steps: int,
               units: int = 128, name: str = "skill_decoder"):
    super().__init__(name=name)
    if num_skills < 2 or feature_size < 1 or steps < 1 or units < 1:
      raise ValueError("the decoder needs >= 2 skills, >= 1 feature, "
                       ">= 1 time step and >= 1 unit")
    self.bilstm = tf.keras.layers.Bidirectional(
        tf.keras.layers.LSTM(units, return_sequences=True), name="bilstm")
    self.logits_layer = tf.keras.layers.Dense(num_skills, name="logits")
    self(tf.zeros([1, steps, feature_size]), tf.ones([1, steps], tf.bool))

  def call(self, sequences: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Logits ``[B, Z]`` of sequences ``[B, L, F]`` with a bool mask
    ``[B, L]`` (a row without any valid step gets the bias only)."""
    hidden = self.bilstm(sequences, mask=mask)
    weights = tf.cast(mask, hidden.dtype)[..., None]
    pooled = tf.reduce_sum(hidden * weights, 1) / tf.maximum(
        tf.reduce_sum(weights, 1), 1.0)
    return self.logits_layer(pooled)

  def skill_probability(self, sequences: tf.Tensor, mask: tf.Tensor,
                        skills: tf.Tensor) -> tf.Tensor:
    """p_ψ(z | τ) ``[B]`` of the given skills."""
    probs = tf.nn.softmax(self(sequences, mask))
    return tf.gather(probs, skills, batch_dims=1)

  def loss(self, sequences: tf.Tensor, mask: tf.Tensor,
           skills: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy of the skills."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=skills, logits=self(sequences, mask)))
