"""Shared gridworld mechanics of the social dilemmas on hand-made cases."""

import numpy as np
from absl.testing import absltest

from environments.ssd import grid

# A 9 x 9 room: walls on the border, 7 x 7 free cells.
ROOM = ("@@@@@@@@@",) + ("@       @",) * 7 + ("@@@@@@@@@",)
WALKABLE = ~grid.parse(ROOM)["@"]


def _resolve(positions, targets, seed=0):
  return grid.resolve_moves(np.array(positions), np.array(targets), WALKABLE,
                            np.random.default_rng(seed))


class MovementTest(absltest.TestCase):

  def test_egocentric_steps(self):
    moves = np.array([grid.MOVE_UP, grid.MOVE_LEFT, grid.MOVE_DOWN,
                      grid.MOVE_RIGHT, grid.STAY, grid.CLEAN])
    facing_right = np.full(len(moves), grid.RIGHT)
    np.testing.assert_array_equal(
        grid.move_steps(moves, facing_right),
        [[0, 1], [-1, 0], [0, -1], [1, 0], [0, 0], [0, 0]])
    facing_up = np.full(len(moves), grid.UP)
    np.testing.assert_array_equal(
        grid.move_steps(moves, facing_up),
        [[-1, 0], [0, -1], [1, 0], [0, 1], [0, 0], [0, 0]])

  def test_turns(self):
    turns = np.array([grid.TURN_CLOCKWISE, grid.TURN_COUNTERCLOCKWISE,
                      grid.TURN_CLOCKWISE, grid.STAY])
    np.testing.assert_array_equal(
        grid.turn(turns, np.array([grid.LEFT, grid.UP, grid.UP, grid.DOWN])),
        [grid.UP, grid.LEFT, grid.RIGHT, grid.DOWN])

  def test_walls_and_map_edge_mean_staying(self):
    np.testing.assert_array_equal(_resolve([[1, 1], [4, 4]],
                                           [[0, 1], [4, 9]]),
                                  [[1, 1], [4, 4]])

  def test_contested_cell_goes_to_one_random_agent(self):
    winners = set()
    for seed in range(20):
      new = _resolve([[4, 3], [4, 5]], [[4, 4], [4, 4]], seed)
      moved = np.flatnonzero(np.any(new != [[4, 3], [4, 5]], axis=1))
      self.assertLen(moved, 1)
      self.assertEqual(new[moved[0]].tolist(), [4, 4])
      winners.add(int(moved[0]))
    self.assertEqual(winners, {0, 1})

  def test_cannot_enter_a_staying_agent(self):
    np.testing.assert_array_equal(_resolve([[4, 3], [4, 4]],
                                           [[4, 4], [4, 4]]),
                                  [[4, 3], [4, 4]])

  def test_head_on_swap_is_blocked(self):
    np.testing.assert_array_equal(_resolve([[4, 3], [4, 4]],
                                           [[4, 4], [4, 3]]),
                                  [[4, 3], [4, 4]])

  def test_chain_moves_behind_its_leader(self):
    np.testing.assert_array_equal(
        _resolve([[4, 2], [4, 3], [4, 4]], [[4, 3], [4, 4], [4, 5]]),
        [[4, 3], [4, 4], [4, 5]])

  def test_blocked_leader_blocks_the_chain(self):
    np.testing.assert_array_equal(
        _resolve([[4, 5], [4, 6], [4, 7]], [[4, 6], [4, 7], [4, 8]]),
        [[4, 5], [4, 6], [4, 7]])

  def test_cycle_of_four_rotates(self):
    square = [[3, 3], [3, 4], [4, 4], [4, 3]]
    np.testing.assert_array_equal(_resolve(square, np.roll(square, -1, 0)),
                                  np.roll(square, -1, 0))

  def test_contest_loser_blocks_whoever_follows_it(self):
    # Agents 0 and 1 contest (4, 4); agent 2 wants agent 0's cell.
    for seed in range(10):
      new = _resolve([[4, 3], [4, 5], [4, 2]], [[4, 4], [4, 4], [4, 3]], seed)
      self.assertLen({tuple(p) for p in new}, 3)
      if new[0].tolist() == [4, 3]:
        self.assertEqual(new[2].tolist(), [4, 2])
      else:
        self.assertEqual(new[2].tolist(), [4, 3])


class BeamTest(absltest.TestCase):

  def _beam(self, position, orientation, occupied=(), blocking=None,
            width=3):
    taken = np.zeros(WALKABLE.shape, bool)
    for cell in occupied:
      taken[cell] = True
    cells = grid.beam_cells(np.array(position), orientation, 5, width,
                            WALKABLE, taken, blocking)
    return sorted(map(tuple, cells.tolist()))

  def test_geometry_in_the_open(self):
    # Central ray from the cell in front, side rays from beside the agent.
    cells = self._beam((7, 4), grid.UP)
    self.assertEqual(cells, sorted([(r, 4) for r in range(2, 7)]
                                   + [(r, 3) for r in range(3, 8)]
                                   + [(r, 5) for r in range(3, 8)]))

  def test_facing_right(self):
    cells = self._beam((4, 1), grid.RIGHT)
    self.assertEqual(cells, sorted([(4, c) for c in range(2, 7)]
                                   + [(3, c) for c in range(1, 6)]
                                   + [(5, c) for c in range(1, 6)]))

  def test_wall_stops_the_beam_uncovered(self):
    cells = self._beam((2, 4), grid.UP)
    self.assertEqual(cells, [(1, 3), (1, 4), (1, 5), (2, 3), (2, 5)])

  def test_agent_absorbs_the_beam(self):
    cells = self._beam((7, 4), grid.UP, occupied=[(5, 4), (7, 3)])
    self.assertIn((5, 4), cells)
    self.assertNotIn((4, 4), cells)
    self.assertEqual([c for c in cells if c[1] == 3], [(7, 3)])

  def test_blocking_cell_is_covered_and_stops_the_ray(self):
    blocking = np.zeros(WALKABLE.shape, bool)
    blocking[5, 5] = blocking[3, 5] = True
    cells = self._beam((7, 4), grid.UP, blocking=blocking)
    self.assertEqual([c for c in cells if c[1] == 5], [(5, 5), (6, 5),
                                                       (7, 5)])

  def test_width_one_is_the_central_ray(self):
    self.assertEqual(self._beam((7, 4), grid.UP, width=1),
                     [(r, 4) for r in range(2, 7)])

  def test_even_width_is_rejected(self):
    with self.assertRaises(ValueError):
      self._beam((7, 4), grid.UP, width=2)


class ViewTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    # Image whose pixel (r, c) holds (r, c, 1), padded by 2 with zeros.
    rows, cols = np.meshgrid(np.arange(9), np.arange(9), indexing="ij")
    image = np.stack([rows, cols, np.ones_like(rows)], -1)
    self.padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))

  def _view(self, position, orientation, mirrored=False):
    offsets = grid.view_offsets(2, mirrored)
    return grid.egocentric_views(self.padded, np.array([position]),
                                 np.array([orientation]), offsets, 2)[0]

  def test_facing_up_is_the_map_window(self):
    view = self._view((4, 4), grid.UP)
    np.testing.assert_array_equal(view[..., 0], np.arange(2, 7)[:, None]
                                  * np.ones((1, 5)))
    np.testing.assert_array_equal(view[..., 1], np.ones((5, 1))
                                  * np.arange(2, 7)[None, :])

  def test_facing_right_puts_east_on_top_and_north_on_the_left(self):
    view = self._view((4, 4), grid.RIGHT)
    self.assertEqual(view[0, 2, :2].tolist(), [4, 6])   # two cells east
    self.assertEqual(view[2, 0, :2].tolist(), [2, 4])   # two cells north
    self.assertEqual(view[2, 2, :2].tolist(), [4, 4])   # the agent

  def test_mirrored_views_swap_left_and_right_facing(self):
    self.assertEqual(self._view((4, 4), grid.RIGHT, True)[2, 0, :2].tolist(),
                     [6, 4])
    np.testing.assert_array_equal(self._view((4, 4), grid.RIGHT, True),
                                  self._view((4, 4), grid.LEFT))

  def test_facing_down_is_the_window_turned_half_way(self):
    np.testing.assert_array_equal(self._view((4, 4), grid.DOWN),
                                  self._view((4, 4), grid.UP)[::-1, ::-1])

  def test_off_map_is_black(self):
    view = self._view((0, 0), grid.UP)
    np.testing.assert_array_equal(view[:2], 0)
    np.testing.assert_array_equal(view[:, :2], 0)
    self.assertEqual(view[2, 2].tolist(), [0, 0, 1])


class ParseTest(absltest.TestCase):

  def test_ragged_or_empty_maps_are_rejected(self):
    for layout in ((), ("@@@", "@ @@", "@@@")):
      with self.assertRaises(ValueError):
        grid.parse(layout)


class NeighbourhoodTest(absltest.TestCase):

  def test_square_and_round_neighbourhoods(self):
    mask = np.ones((7, 7), bool)
    counts2 = grid.neighbour_counts(mask, 2)
    counts4 = grid.neighbour_counts(mask, 4)
    self.assertEqual(counts2[3, 3], 9)
    self.assertEqual(counts4[3, 3], 13)
    self.assertEqual(counts2[0, 0], 4)
    self.assertEqual(counts4[0, 0], 6)

  def test_diagonal_two_away_is_outside_radius_two(self):
    mask = np.zeros((7, 7), bool)
    mask[1, 2] = mask[5, 3] = True
    self.assertEqual(grid.neighbour_counts(mask, 4)[3, 3], 1)
    self.assertEqual(grid.neighbour_counts(mask, 2)[3, 3], 0)


if __name__ == "__main__":
  absltest.main()
