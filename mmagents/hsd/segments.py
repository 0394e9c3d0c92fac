"""Trajectory segments of HSD (thesis §4.2.3–4.2.4), computed in-graph.

All agents choose skills at the same steps: the first step of an episode
and every ``segment_length`` steps after it (the policy marks those steps
``new_segment``). A segment is the run of steps from one such step to the
step before the next one or to the episode's end, so the last segment of an
episode may be shorter. Everything works on one row of collected
experience (``[T, ...]``, several episodes, padded) with static ``T`` and a
dynamic segment count ``K``.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Segments:
  """Where segments lie in a ``[T]`` row of steps."""
  count: tf.Tensor      # K, int32 scalar.
  index: tf.Tensor      # [T] int32: segment of each valid step; K elsewhere.
  start: tf.Tensor      # [K] int32: first step of each segment.
  length: tf.Tensor     # [K] int32: steps in each segment.
  position: tf.Tensor   # [T] int32: steps since the segment's start.
  is_end: tf.Tensor     # [T] bool: a valid step that ends its segment.

  @property
  def end(self) -> tf.Tensor:
    """[K] int32: last step of each segment."""
    return self.start + self.length - 1

  def sum(self, values: tf.Tensor) -> tf.Tensor:
    """Per-segment sums ``[K, ...]`` of per-step `values` ``[T, ...]``
    (steps outside segments left out)."""
    return tf.math.unsorted_segment_sum(values, self.index,
                                        self.count + 1)[:self.count]


def split(new_segment: tf.Tensor, valid: tf.Tensor) -> Segments:
  """Segments of a row from its segment starts and valid-step mask (bool
  ``[T]`` each). Valid steps before the first start belong to none."""
  starts = tf.logical_and(new_segment, valid)
  count = tf.reduce_sum(tf.cast(starts, tf.int32))
  running = tf.cumsum(tf.cast(starts, tf.int32)) - 1
  inside = tf.logical_and(valid, running >= 0)
  index = tf.where(inside, running, count)
  start = tf.cast(tf.where(starts)[:, 0], tf.int32)
  length = tf.math.unsorted_segment_sum(tf.cast(inside, tf.int32), index,
                                        count + 1)[:count]
  steps = tf.range(tf.shape(valid)[0], dtype=tf.int32)
  # Index K (no segment) reads the padding entry.
  padded = lambda x: tf.concat([x, [-1]], 0)
  position = tf.where(inside, steps - tf.gather(padded(start), index), 0)
  own_end = tf.gather(padded(start + length - 1), index)
  is_end = tf.logical_and(inside, tf.equal(steps, own_end))
  return Segments(count, index, start, length, position, is_end)


def discounted_sums(rewards: tf.Tensor, segments: Segments,
                    gamma: float) -> tf.Tensor:
  """Σ_i γ^i r_{start+i} over each segment ``[K]`` (the SMDP reward)."""
  weights = tf.pow(tf.constant(gamma, tf.float32),
                   tf.cast(segments.position, tf.float32))
  return segments.sum(rewards * weights)


def num_points(segment_length: int, skip: int) -> int:
  """Observations a full segment keeps after downsampling by `skip`."""
  return -(-segment_length // skip)


def decoder_inputs(features: tf.Tensor, segments: Segments,
                   segment_length: int, skip: int):
  """The decoder's view of every agent's segments (thesis §4.2.4).

  Keeps the observations at positions 0, skip, 2·skip, ... of each segment
  and returns their consecutive differences.

  Args:
    features: ``[T, N, F]`` per-step observation features of every agent.
    segments: from `split`.
    segment_length: t_seg.
    skip: k_skip.

  Returns:
    ``(differences [K, N, P - 1, F], mask [K, P - 1])`` where P is
    `num_points`; mask is False past a short segment's end.
  """
  points = num_points(segment_length, skip)
  in_segment = segments.index < segments.count
  keep = tf.logical_and(in_segment, tf.equal(segments.position % skip, 0))
  keep = tf.logical_and(keep, segments.position // skip < points)
  rows = tf.where(keep)[:, 0]
  coords = tf.stack([tf.gather(segments.index, rows),
                     tf.gather(segments.position, rows) // skip], -1)
  shape = tf.concat([[segments.count, points],
                     tf.shape(features)[1:]], 0)
  kept = tf.scatter_nd(coords, tf.gather(features, rows), shape)
  present = tf.scatter_nd(coords, tf.ones_like(rows, tf.int32),
                          [segments.count, points]) > 0
  differences = kept[:, 1:] - kept[:, :-1]                  # [K, P-1, N, F]
  mask = tf.logical_and(present[:, 1:], present[:, :-1])
  return tf.transpose(differences, [0, 2, 1, 3]), mask
