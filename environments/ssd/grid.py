"""Vectorized mechanics shared by the sequential social dilemmas.

Positions are ``(row, col)`` int arrays; row 0 is the top of the map. An
orientation is an index into `HEADINGS` (up, right, down, left), so turning
clockwise adds one. Everything here is a pure function of numpy arrays so the
rule sets (Cleanup, Harvest) stay thin and each rule can be tested alone.
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
# Unit step of each orientation, in (row, col).
HEADINGS = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], np.int64)

# Action ids of the original games (Harvest uses the first eight).
(MOVE_LEFT, MOVE_RIGHT, MOVE_UP, MOVE_DOWN, STAY, TURN_CLOCKWISE,
 TURN_COUNTERCLOCKWISE, FIRE, CLEAN) = range(9)
ACTION_NAMES = ("move_left", "move_right", "move_up", "move_down", "stay",
                "turn_clockwise", "turn_counterclockwise", "fire", "clean")
# Egocentric step of each action as (forward, rightward) amounts; MOVE_UP is
# a step forward. Non-move actions do not move.
_FORWARD = np.array([0, 0, 1, -1, 0, 0, 0, 0, 0], np.int64)
_RIGHTWARD = np.array([-1, 1, 0, 0, 0, 0, 0, 0, 0], np.int64)
_TURN = np.array([0, 0, 0, 0, 0, 1, -1, 0, 0], np.int64)


def right_of(orientation: np.ndarray) -> np.ndarray:
  """Unit step to the agent's right (its heading turned clockwise)."""
  return HEADINGS[(np.asarray(orientation) + 1) % 4]


def move_steps(actions: np.ndarray, orientation: np.ndarray) -> np.ndarray:
  """World-frame steps ``[N, 2]`` of egocentric move actions (0 otherwise)."""
  return (_FORWARD[actions, None] * HEADINGS[orientation]
          + _RIGHTWARD[actions, None] * right_of(orientation))


def turn(actions: np.ndarray, orientation: np.ndarray) -> np.ndarray:
  """Orientations after the turn actions."""
  return (orientation + _TURN[actions]) % 4


def resolve_moves(positions: np.ndarray, targets: np.ndarray,
                  walkable: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
  """New positions after simultaneous moves, with the games' conflict rules.

  * A target outside the map or not walkable means staying.
  * Several agents wanting one cell: a uniformly random one of them gets it,
    the others stay (an agent staying in its own cell always keeps it).
  * An agent cannot enter a cell whose occupant stays (or is blocked), and
    two agents cannot swap cells head-on; chains of agents moving behind each
    other all move, and so do closed cycles of three or more.

  A few agents interact, so plain Python over cells is faster here than
  array operations.

  Args:
    positions: ``[N, 2]`` current cells (distinct).
    targets: ``[N, 2]`` wanted cells.
    walkable: ``[H, W]`` bool map.
    rng: generator for the tie breaks (one permutation per call).

  Returns:
    ``[N, 2]`` new positions (distinct).
  """
  height, width = walkable.shape
  current = [tuple(p) for p in np.asarray(positions).tolist()]
  wanted = []
  for here, (row, col) in zip(current, np.asarray(targets).tolist()):
    inside = 0 <= row < height and 0 <= col < width
    wanted.append((row, col) if inside and walkable[row, col] else here)
  blocked = {i for i in range(len(current)) if wanted[i] == current[i]}
  claimed = {wanted[i] for i in blocked}
  for i in rng.permutation(len(current)).tolist():
    if i in blocked:
      continue
    if wanted[i] in claimed:
      wanted[i] = current[i]
      blocked.add(i)
    else:
      claimed.add(wanted[i])
  occupant = {cell: i for i, cell in enumerate(current)}
  changed = True
  while changed:
    changed = False
    for i, cell in enumerate(wanted):
      if i in blocked:
        continue
      ahead = occupant.get(cell)
      if ahead is not None and (ahead in blocked
                                or wanted[ahead] == current[i]):
        wanted[i] = current[i]
        blocked.add(i)
        changed = True
  return np.array(wanted, np.int64).reshape(-1, 2)


def beam_cells(position: np.ndarray, orientation: int, length: int,
               width: int, passable: np.ndarray, occupied: np.ndarray,
               blocking: Optional[np.ndarray] = None) -> np.ndarray:
  """Cells ``[K, 2]`` covered by a beam fired from `position`.

  The central ray starts at the cell in front and the side rays (``width``
  odd, ``(width - 1) / 2`` on each side) at the cells beside the agent; each
  ray travels up to `length` cells forward. A ray stops before a cell that is
  not passable or off the map, and stops after covering an occupied cell (an
  agent absorbs the beam) or a `blocking` cell.
  """
  if width < 1 or width % 2 == 0:
    raise ValueError(f"beam width must be odd and positive, got {width}")
  height, map_width = passable.shape
  step_row, step_col = HEADINGS[orientation].tolist()
  side_row, side_col = right_of(orientation).tolist()
  row0, col0 = np.asarray(position).tolist()
  covered = []
  for lateral in range(-(width // 2), width // 2 + 1):
    ahead = 1 if lateral == 0 else 0
    row = row0 + lateral * side_row + ahead * step_row
    col = col0 + lateral * side_col + ahead * step_col
    for _ in range(length):
      if not (0 <= row < height and 0 <= col < map_width
              and passable[row, col]):
        break
      covered.append((row, col))
      if occupied[row, col] or (blocking is not None and blocking[row, col]):
        break
      row, col = row + step_row, col + step_col
  return np.array(covered, np.int64).reshape(-1, 2)


def view_offsets(radius: int, mirrored_sides: bool = False) -> np.ndarray:
  """World offsets ``[4, 2r+1, 2r+1, 2]`` of egocentric view pixels.

  Pixel ``(i, j)`` of the view of an agent facing ``o`` shows the cell
  ``forward * (r - i) + rightward * (j - r)`` from it, so the agent faces up
  in its own view and sees its left side on the left. ``mirrored_sides``
  swaps the views of agents facing left and right, the rotation convention
  of the original SSD code (see the environment docstring).
  """
  ahead = radius - np.arange(2 * radius + 1)[:, None]
  aside = np.arange(2 * radius + 1)[None, :] - radius
  offsets = np.stack([ahead[..., None] * HEADINGS[o] + aside[..., None]
                      * right_of(o) for o in range(4)])
  if mirrored_sides:
    offsets = offsets[[UP, LEFT, DOWN, RIGHT]]
  return offsets


def egocentric_views(image: np.ndarray, positions: np.ndarray,
                     orientation: np.ndarray, offsets: np.ndarray,
                     padding: int) -> np.ndarray:
  """Views ``[N, 2r+1, 2r+1, C]`` gathered from `image` padded by `padding`.

  `image` must already carry `padding` cells of padding (black) on every
  side, with ``padding >= r``.
  """
  padded_width = image.shape[1]
  flat_offsets = offsets[..., 0] * padded_width + offsets[..., 1]
  centres = (positions[:, 0] + padding) * padded_width + positions[:, 1] + padding
  cells = centres[:, None, None] + flat_offsets[orientation]
  return np.take(image.reshape(-1, image.shape[-1]), cells, axis=0)


class NeighbourCounter:
  """Counts True cells within ``dr^2 + dc^2 <= radius_squared`` of each cell.

  The neighbourhood is a union of row segments, so the count is a sum over
  segment half-widths w of ``rows_w @ mask @ band_w``: a few small matrix
  products instead of one shifted copy of the map per offset.
  """

  def __init__(self, shape: Tuple[int, int], radius_squared: int):
    height, width = shape
    reach = math.isqrt(radius_squared)
    row_gap = np.subtract.outer(np.arange(height), np.arange(height))
    col_gap = np.abs(np.subtract.outer(np.arange(width), np.arange(width)))
    half_widths = {}
    for dr in range(-reach, reach + 1):
      half_widths.setdefault(math.isqrt(radius_squared - dr * dr),
                             []).append(dr)
    self._terms = [(np.isin(row_gap, rows).astype(np.float32),
                    (col_gap <= half).astype(np.float32))
                   for half, rows in sorted(half_widths.items())]

  def __call__(self, mask: np.ndarray) -> np.ndarray:
    values = mask.astype(np.float32)
    counts = sum(rows @ values @ band for rows, band in self._terms)
    return np.rint(counts).astype(np.int64)


def neighbour_counts(mask: np.ndarray, radius_squared: int) -> np.ndarray:
  """Per cell, how many True cells lie at ``dr^2 + dc^2 <= radius_squared``."""
  return NeighbourCounter(mask.shape, radius_squared)(mask)


def parse(layout: Sequence[str]) -> Dict[str, np.ndarray]:
  """Boolean layers of an ASCII map, keyed by legend character."""
  if not layout or len({len(row) for row in layout}) != 1:
    raise ValueError("a map needs rows, all of the same length")
  grid = np.array([list(row) for row in layout])
  return {char: grid == char for char in "@PABHRS "}


def spawn_cells(layout: Sequence[str]) -> np.ndarray:
  """Spawn points ``[K, 2]`` in row-major order."""
  return np.argwhere(parse(layout)["P"])


def shape_of(layout: Sequence[str]) -> Tuple[int, int]:
  return len(layout), len(layout[0])
