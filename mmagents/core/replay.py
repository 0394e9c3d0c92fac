"""A circular replay buffer of single transitions, kept in TF variables.

Methods that train on minibatches of transitions (CM3, IAC, COMA, QMIX) add
the valid rows of each collected trajectory batch and sample uniformly. The
buffer is a tracked `tf.Module`, so a checkpoint of the agent stores its
contents and a resumed off-policy run samples exactly what an uninterrupted
one would. Cleared after each training phase, it is the "on-policy" buffer
of thesis Algorithm 6 (line 18); kept, it is the off-policy variant of
App. A.1.
"""

from __future__ import annotations

from typing import Dict, Mapping, Tuple

import tensorflow as tf

FieldSpecs = Mapping[str, Tuple[Tuple[int, ...], tf.DType]]


class TransitionReplay(tf.Module):
  """Fixed-capacity storage of named per-transition tensors."""

  def __init__(self, capacity: int, fields: FieldSpecs,
               name: str = "replay"):
    """Allocates the storage.

    Args:
      capacity: most transitions kept; the oldest are overwritten.
      fields: name → (shape of one transition's entry, dtype).
      name: module name.
    """
    super().__init__(name=name)
    if capacity < 1:
      raise ValueError(f"replay capacity must be >= 1, got {capacity}")
    self.capacity = int(capacity)
    self._storage = {
        key: tf.Variable(tf.zeros((self.capacity,) + tuple(shape), dtype),
                         trainable=False, name=f"{key}_storage")
        for key, (shape, dtype) in sorted(fields.items())}
    self.size = tf.Variable(0, dtype=tf.int64, trainable=False, name="size")
    self.next_index = tf.Variable(0, dtype=tf.int64, trainable=False,
                                  name="next_index")
    self.total_added = tf.Variable(0, dtype=tf.int64, trainable=False,
                                   name="total_added")

  @property
  def field_names(self) -> tuple:
    return tuple(self._storage)

  def add(self, rows: Mapping[str, tf.Tensor], valid: tf.Tensor) -> None:
    """Appends the rows where `valid` is true.

    Args:
      rows: name → ``[T, ...]`` tensors, one row per candidate transition.
      valid: bool ``[T]``.
    """
    selected = {key: tf.boolean_mask(rows[key], valid)
                for key in self._storage}
    count = tf.shape(tf.where(valid), out_type=tf.int64)[0]
    # More rows than capacity: only the newest `capacity` survive.
    keep = tf.minimum(count, self.capacity)
    start = count - keep
    positions = (self.next_index + tf.range(keep, dtype=tf.int64)
                 ) % self.capacity
    for key, storage in self._storage.items():
      storage.scatter_nd_update(positions[:, None], selected[key][start:])
    self.next_index.assign((self.next_index + keep) % self.capacity)
    self.size.assign(tf.minimum(self.size + keep, self.capacity))
    self.total_added.assign_add(count)

  def sample(self, batch_size: int,
             generator: tf.random.Generator) -> Dict[str, tf.Tensor]:
    """`batch_size` transitions drawn uniformly with replacement."""
    indices = generator.uniform([batch_size], minval=0,
                                maxval=tf.maximum(self.size, 1),
                                dtype=tf.int64)
    return {key: tf.gather(storage, indices)
            for key, storage in self._storage.items()}

  def contents(self) -> Dict[str, tf.Tensor]:
    """Every stored transition (storage order, not insertion order)."""
    return {key: storage[:self.size]
            for key, storage in self._storage.items()}

  def clear(self) -> None:
    self.size.assign(0)
    self.next_index.assign(0)
