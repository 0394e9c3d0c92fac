"""MPE particle physics, vectorized over all entities at once.

The world is a set of discs (agents, landmarks) in an unbounded plane, as in
the multi-agent particle environment (MPE, ``multiagent/core.py``). One step
follows MPE's order:

1. action forces ``u * sensitivity`` on the agents (the caller passes them);
2. contact forces between every pair of colliding entities, computed from the
   positions before the step, with a softplus penetration
   ``pen = k * log(1 + exp(-(d - (s_a + s_b)) / k))`` (``k`` the contact
   margin) and ``F_ab = contact_force * (p_a - p_b) / d * pen``: ``+F_ab`` on
   ``a`` and ``-F_ab`` on ``b``, applied to movable entities only;
3. integration of movable entities: ``v <- v (1 - damping)``,
   ``v <- v + F / m * dt``, ``p <- p + v * dt``.

MPE loops over entity pairs in Python; here one ``[E, E]`` array operation
covers all pairs. Pairwise geometry is computed once per position update and
reused by the next contact step and by collision checks (rewards). Two
coincident colliding discs (``d = 0``, where MPE divides by zero) push each
other with no force. Not modelled (cooperative navigation does not use them):
``max_speed``, ``accel``, action noise, communication.
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class PhysicsParams:
  """MPE's world constants (``World`` and ``Entity`` defaults)."""
  dt: float = 0.1
  damping: float = 0.25
  contact_force: float = 1e2
  contact_margin: float = 1e-3
  sensitivity: float = 5.0


class World:
  """Positions and velocities of ``E`` discs with MPE dynamics.

  Attributes:
    pos, vel: ``[E, 2]`` float64 arrays (replaced, not mutated, by `step`).
    sizes, masses: ``[E]`` radii and masses.
    movable, collide: ``[E]`` bool masks; immovable entities keep velocity 0.
  """

  def __init__(self, sizes, movable, collide, masses=None,
               params: PhysicsParams = PhysicsParams()):
    self.sizes = np.asarray(sizes, np.float64)
    num = len(self.sizes)
    self.masses = (np.ones(num) if masses is None
                   else np.asarray(masses, np.float64))
    self.movable = np.asarray(movable, bool).copy()
    self.collide = np.asarray(collide, bool)
    self.params = params
    self.pos = np.zeros((num, 2))
    self.vel = np.zeros((num, 2))
    min_dist = self.sizes[:, None] + self.sizes[None, :]
    pairs = (self.collide[:, None] & self.collide[None, :]
             & ~np.eye(num, dtype=bool))
    self._min_dist = min_dist
    # Sum of radii on colliding pairs, 0 elsewhere (no distance is < 0).
    self._touch = np.where(pairs, min_dist, 0.0)
    # Per pair: contact_force * margin on colliding pairs, 0 elsewhere.
    self._pair_scale = pairs * (params.contact_force * params.contact_margin)
    self._inv_margin = 1.0 / params.contact_margin
    self._keep = 1.0 - params.damping
    self._gain = np.zeros((num, 1))
    self._update_gain()
    self._geometry: Optional[Tuple[np.ndarray, np.ndarray]] = None

  def _update_gain(self) -> None:
    # dt / m on movable entities, 0 on the others: forces never move them.
    self._gain = (self.params.dt / self.masses * self.movable)[:, None]

  @property
  def num_entities(self) -> int:
    return len(self.sizes)

  def set_state(self, pos: np.ndarray, vel: Optional[np.ndarray] = None,
                movable: Optional[np.ndarray] = None) -> None:
    """Places the entities (and resets `movable` if given).

    Immovable entities get velocity 0, which they then keep.
    """
    if movable is not None:
      self.movable = np.array(movable, bool)
      self._update_gain()
    self.pos = np.array(pos, np.float64).reshape(self.num_entities, 2)
    vel = np.zeros_like(self.pos) if vel is None else np.array(vel, np.float64)
    vel[~self.movable] = 0.0
    self.vel = vel
    self._geometry = None

  def freeze(self, index) -> None:
    """Makes entities immovable from now on (velocity 0, position kept)."""
    self.movable[index] = False
    self._update_gain()
    self.vel = np.array(self.vel)
    self.vel[index] = 0.0

  def geometry(self) -> Tuple[np.ndarray, np.ndarray]:
    """``(delta = p_a - p_b [E, E, 2], dist [E, E])`` of the positions now."""
    if self._geometry is None:
      delta = self.pos[:, None, :] - self.pos[None, :, :]
      dist = np.hypot(delta[..., 0], delta[..., 1])
      self._geometry = (delta, dist)
    return self._geometry

  def contact_forces(self) -> np.ndarray:
    """``[E, 2]`` total contact force on each entity (movable or not)."""
    delta, dist = self.geometry()
    pen = np.logaddexp(0.0, (self._min_dist - dist) * self._inv_margin)
    # Coincident discs have delta 0, so the floor on d only avoids 0 / 0.
    scale = pen * self._pair_scale / np.maximum(dist, 1e-12)
    return np.einsum("ab,abk->ak", scale, delta)

  def overlaps(self) -> np.ndarray:
    """``[E, E]`` bool: colliding pairs closer than the sum of their radii."""
    return self.geometry()[1] < self._touch

  def step(self, action_forces: np.ndarray) -> None:
    """Advances one ``dt`` under `action_forces` ``[E, 2]`` plus contacts."""
    force = action_forces + self.contact_forces()
    # Immovable entities have velocity 0 and gain 0, so they stay put.
    self.vel = self.vel * self._keep + force * self._gain
    self.pos = self.pos + self.vel * self.params.dt
    self._geometry = None
