"""STS2 rules (`environments.sts2.game`) and HSD's task, on built scenes."""

import warnings

import numpy as np
from absl.testing import absltest
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test

from benchmarks import sts2_speed
from environments import adapters
from environments import registry
from environments.sts2 import game
from environments.sts2 import team_sports

NONE, SHOOT, PASS_1, PASS_2, PASS_3, UP_Z, DOWN_Z, PLUS_X, MINUS_X = range(9)
DENSE = 1.0 / (2 * 500)
# Six players (home 0-2, away 3-5) far from each other and every line.
FAR = [(-6.0, 10.0), (0.0, 12.0), (6.0, 10.0),
       (-6.0, -2.0), (0.0, -1.0), (6.0, -2.0)]
STUNNED = [0, 0, 0, 50, 50, 50]  # Away players out of play.


def _game(positions=FAR, velocities=None, control=0, action_times=None,
          seed=0, **rules):
  sim = game.Game(3, game.Rules(**rules), rng=np.random.default_rng(seed),
                  scripted=[False] * 6)
  sim.pos = np.array(positions, float)
  sim.vel = np.zeros((6, 2)) if velocities is None else np.array(
      velocities, float)
  sim.action_time = np.zeros(6, np.int64) if action_times is None else (
      np.array(action_times, np.int64))
  sim.control = control
  return sim


def _env(positions=FAR, velocities=None, control=0, action_times=None,
         **kwargs):
  env = team_sports.TeamSports(seed=0, **kwargs)
  env.reset()
  env.set_scene(positions, velocities, control, action_times)
  return env


def _step(env, *actions):
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, actions)})


class MotionTest(absltest.TestCase):

  def test_acceleration_formula(self):
    sim = _game(velocities=[(0.2, 0.0)] + [(0.0, 0.0)] * 5)
    inputs = np.zeros((6, 2))
    inputs[0] = (1.0, 0.0)
    sim.tick(None, inputs)
    # accel = in * (|in| - v / max_vel . in) * max_accel = (1 - 0.4) * 0.05.
    np.testing.assert_allclose(sim.vel[0], (0.23, 0.0))
    np.testing.assert_allclose(sim.pos[0], (-6.0 + 0.23, 10.0))

  def test_diagonal_input_is_unit(self):
    sim = _game()
    inputs = np.zeros((6, 2))
    inputs[1] = (0.9, 0.6)                 # Rectified to (1, 1) / sqrt(2).
    sim.tick(None, inputs)
    np.testing.assert_allclose(sim.vel[1], 0.05 / np.sqrt(2) * np.ones(2))

  def test_velocity_clamp(self):
    sim = _game(velocities=[(0.5, 0.0)] + [(0.0, 0.0)] * 5)
    inputs = np.zeros((6, 2))
    inputs[0] = (0.0, 1.0)
    sim.tick(None, inputs)
    raw = np.array([0.5, 0.05])
    np.testing.assert_allclose(sim.vel[0], raw * 0.5 / np.linalg.norm(raw))

  def test_stunned_player_glides_without_input(self):
    sim = _game(velocities=[(0.1, 0.0)] + [(0.0, 0.0)] * 5,
                action_times=[3, 0, 0, 0, 0, 0])
    inputs = np.zeros((6, 2))
    inputs[0] = (0.0, 1.0)
    sim.tick(None, inputs)
    np.testing.assert_allclose(sim.vel[0], (0.1, 0.0))
    self.assertEqual(sim.action_time[0], 2)

  def test_board_clamp_zeroes_that_component(self):
    positions = list(FAR)
    positions[2] = (8.1, 10.0)
    sim = _game(positions, [(0, 0)] * 2 + [(0.3, 0.1)] + [(0, 0)] * 3)
    sim.tick()
    np.testing.assert_allclose(sim.pos[2], (8.25, 10.1))
    np.testing.assert_allclose(sim.vel[2], (0.0, 0.1))


class ContactTest(absltest.TestCase):

  def test_collision_separates_and_averages(self):
    positions = list(FAR)
    positions[1] = (-5.0, 10.0)            # Teammates 0 and 1, 1.0 apart.
    velocities = np.zeros((6, 2))
    velocities[0], velocities[1] = (0.2, 0.0), (-0.1, 0.1)
    sim = _game(positions, velocities, control=2)
    sim.tick()
    moved = np.array(positions[:2]) + velocities[:2]
    centre = moved.mean(axis=0)
    direction = (moved[0] - centre) / np.linalg.norm(moved[0] - centre)
    np.testing.assert_allclose(sim.pos[0], centre + direction * 0.75 * 1.01)
    np.testing.assert_allclose(sim.pos[1], centre - direction * 0.75 * 1.01)
    np.testing.assert_allclose(sim.vel[:2], [(0.05, 0.05)] * 2)
    self.assertEqual(sim.control, 2)       # Teammates: no check.

  def test_check_steals_and_stuns(self):
    positions = list(FAR)
    positions[3] = (-6.0, 8.8)             # Away 3 touches carrier 0.
    sim = _game(positions, control=0)
    events = sim.tick()
    self.assertEqual(sim.control, 3)
    self.assertEqual(sim.action_time[0], 20)
    self.assertEqual(sim.action_time[3], 15)
    self.assertEqual([(e.kind, e.player, e.other) for e in events],
                     [("check", 3, 0)])

  def test_busy_opponent_cannot_check(self):
    positions = list(FAR)
    positions[3] = (-6.0, 8.8)
    sim = _game(positions, control=0, action_times=[0, 0, 0, 3, 0, 0])
    sim.tick()
    self.assertEqual(sim.control, 0)


class ShotAndPassTest(absltest.TestCase):

  def test_on_net_chance(self):
    rules = game.Rules()
    net = np.array([0.0, -18.0])
    dist = np.hypot(3.0, 8.0)
    self.assertAlmostEqual(game.on_net_chance(np.array([3.0, -10.0]), net,
                                              rules), 8.0 / dist * 0.5)
    self.assertAlmostEqual(game.on_net_chance(np.array([0.0, -16.0]), net,
                                              rules), 1.0)

  def test_interception_probability_both_directions(self):
    closest = np.array([0.0, 1.75, 3.5, 3.6])
    np.testing.assert_allclose(
        game.intercept_probability(closest, game.Rules()),
        [0.5, 0.75, 1.0, 0.0])
    np.testing.assert_allclose(
        game.intercept_probability(closest,
                                   game.Rules(inverted_interception=True)),
        [1.0, 0.75, 0.5, 0.0])

  def test_intercept_terms(self):
    positions = list(FAR)
    positions[3:] = [(1.0, -4.0), (0.0, 2.0), (0.0, -12.0)]
    sim = _game(positions)
    prob, closest, ahead, _ = sim.intercept_terms(
        np.zeros(2), np.array([0.0, -10.0]), np.array([3, 4, 5]))
    np.testing.assert_allclose(closest[[0, 2]], [1.0 - 0.05 * 4, 2.0 - 0.5])
    np.testing.assert_array_equal(ahead, [True, False, True])
    np.testing.assert_allclose(prob, [0.5 + 0.5 * 0.8 / 3.5, 0.0,
                                      0.5 + 0.5 * 1.5 / 3.5])

  def test_pass_completes_when_lane_is_clear(self):
    env = _env()
    _step(env, PASS_2, NONE, NONE)
    self.assertEqual(env.game.control, 1)
    self.assertEqual(env.game.action_time[0], 10)
    self.assertEqual(env.game.action_time[1], 15)
    info = env.get_info()
    np.testing.assert_array_equal(info["passes_made"], [1, 0, 0])
    np.testing.assert_array_equal(info["passes_received"], [0, 1, 0])

  def _pass_through_opponent(self, seed, **rules):
    positions = list(FAR)
    positions[3] = (-3.0, 10.0)            # On the lane from 0 to 2.
    sim = _game(positions, control=0, seed=seed, **rules)
    actions = np.zeros(6, np.int64)
    actions[0] = game.PASS + 2
    sim.tick(actions)
    return sim.control

  def test_pass_interception_rates(self):
    # On the lane: closest 0 -> 0.5 (STS2's formula) or 1.0 (inverted).
    stolen = [self._pass_through_opponent(s) == 3 for s in range(400)]
    self.assertAlmostEqual(np.mean(stolen), 0.5, delta=0.08)
    for s in range(20):
      self.assertEqual(
          self._pass_through_opponent(s, inverted_interception=True), 3)

  def test_missed_shot_goes_to_player_nearest_the_net(self):
    positions = list(FAR)
    positions[4] = (1.0, -16.0)            # Stunned away player by the net.
    sim = _game(positions, control=0, action_times=[0, 0, 0, 5, 5, 5],
                shot_distance_accuracy_scale=1e-9)
    actions = np.zeros(6, np.int64)
    actions[0] = game.SHOOT
    events = sim.tick(actions)
    self.assertEqual(sim.control, 4)
    self.assertEqual((events[0].kind, events[0].result), ("shot", "miss"))
    self.assertEqual(sim.action_time[0], 10)


class GoalAndRewardTest(absltest.TestCase):

  def _goal_env(self):
    positions = list(FAR)
    positions[0] = (0.0, -15.0)            # On-net chance 1.
    return _env(positions, control=0, action_times=STUNNED)

  def test_goal_ends_episode(self):
    env = self._goal_env()
    step = _step(env, SHOOT, NONE, NONE)
    self.assertTrue(step.is_last())
    self.assertEqual(float(step.discount), 0.0)
    np.testing.assert_allclose(step.reward, [1.0 + DENSE] * 3, rtol=1e-6)
    info = env.last_episode_events
    self.assertEqual((int(info["goals_for"]), int(info["win"])), (1, 1))
    np.testing.assert_array_equal(info["goals"], [1, 0, 0])
    np.testing.assert_array_equal(env.game.score, [1, 0])

  def test_restart_gives_puck_by_score_parity(self):
    sim = _game()
    for score, team in (((0, 0), 0), ((1, 0), 1), ((1, 1), 0), ((0, 3), 1)):
      sim.score[:] = score
      sim.kickoff()
      self.assertEqual(sim.control_team, team)
      self.assertEqual(sim.action_time[sim.control], 15)
      self.assertTrue((sim.pos[:3, 1] >= 0).all())   # Own halves.
      self.assertTrue((sim.pos[3:, 1] <= 0).all())
      np.testing.assert_array_equal(sim.pos[:, 0], np.round(sim.pos[:, 0]))

  def test_alternate_kickoff(self):
    sim = _game(kickoff="alternate")
    self.assertEqual([(sim.kickoff(), sim.control_team)[1]
                      for _ in range(4)], [0, 1, 0, 1])

  def test_possession_gain_and_loss(self):
    positions = list(FAR)
    positions[3] = (-6.0, 8.8)             # Home 0 touches away carrier 3.
    env = _env(positions, control=3, action_times=[0, 0, 0, 0, 50, 50])
    step = _step(env, NONE, NONE, NONE)
    np.testing.assert_allclose(step.reward, [0.1 + DENSE] * 3, rtol=1e-6)
    np.testing.assert_array_equal(env.get_info()["steals"], [1, 0, 0])
    env = _env(positions, control=0, action_times=[0, 0, 0, 0, 50, 50])
    step = _step(env, NONE, NONE, NONE)
    np.testing.assert_allclose(step.reward, [-0.1 - DENSE] * 3, rtol=1e-6)

  def test_dense_term_and_draw_penalty(self):
    env = _env(control=0, max_steps=3, action_times=STUNNED)
    step = _step(env, NONE, NONE, NONE)
    np.testing.assert_allclose(step.reward, [1 / 6] * 3, rtol=1e-6)
    _step(env, NONE, NONE, NONE)
    step = _step(env, NONE, NONE, NONE)
    self.assertTrue(step.is_last())
    self.assertEqual(float(step.discount), 0.0)
    np.testing.assert_allclose(step.reward, [1 / 6 - 0.5] * 3, rtol=1e-6)
    env = _env(control=0, max_steps=3, action_times=STUNNED,
               terminal_time_limit=False, draw_penalty=False)
    for _ in range(3):
      step = _step(env, NONE, NONE, NONE)
    self.assertEqual(float(step.discount), 1.0)
    np.testing.assert_allclose(step.reward, [1 / 6] * 3, rtol=1e-6)

  def test_illegal_puck_actions_become_none(self):
    env = _env(control=1, action_times=STUNNED)
    _step(env, SHOOT, PASS_2, PASS_1)     # No puck; 1 passes to itself.
    self.assertEqual(env.game.control, 1)
    self.assertEqual(env.get_info()["shots"].sum(), 0)
    np.testing.assert_array_equal(env.game.action_time[:3], [0, 0, 0])

  def test_moves(self):
    env = _env(control=2, action_times=STUNNED)
    _step(env, UP_Z, DOWN_Z, PLUS_X)
    np.testing.assert_allclose(env.game.vel[:3],
                               [(0, 0.05), (0, -0.05), (0.05, 0)])


class ObservationTest(absltest.TestCase):

  def test_sizes(self):
    env = team_sports.TeamSports(seed=0)
    step = env.reset()
    self.assertEqual(step.observation["agent_0"].shape, (31,))
    self.assertEqual(step.observation["state"].shape, (34,))
    self.assertEqual(env.action_spec()["agent_0"].maximum, 8)
    env5 = team_sports.TeamSports(num_players=5, seed=0)
    self.assertEqual(env5.observation_spec()["agent_0"].shape, (47,))
    self.assertEqual(env5.observation_spec()["state"].shape, (54,))

  def test_content(self):
    velocities = np.zeros((6, 2))
    velocities[1] = (0.1, -0.2)
    env = _env(control=1, velocities=velocities, action_times=STUNNED)
    env.game.vel = velocities                # Unchanged: observe directly.
    obs = env._observe()
    scale = np.array([18.0, 36.0])
    pos = np.array(FAR)
    o0 = obs["agent_0"]
    np.testing.assert_allclose(o0[0:2], (pos[1] - pos[0]) / scale, rtol=1e-6)
    np.testing.assert_allclose(o0[2:4], (0.1, -0.2), rtol=1e-6)
    np.testing.assert_array_equal(o0[4:6], (0, 1))
    np.testing.assert_allclose(o0[6:8], 2 * pos[0] / scale, rtol=1e-6)
    np.testing.assert_allclose(o0[10:12], (pos[1] - pos[0]) / scale,
                               rtol=1e-6)
    np.testing.assert_allclose(o0[14:16], (pos[2] - pos[0]) / scale,
                               rtol=1e-6)
    self.assertEqual(o0[18], 0.0)
    np.testing.assert_allclose(o0[19:21], (pos[3] - pos[0]) / scale,
                               rtol=1e-6)
    self.assertEqual(obs["agent_1"][4], 1.0)
    state = obs["state"]
    np.testing.assert_allclose(state[0:4], [0.0, 2 * 12 / 36, 0.1, -0.2],
                               rtol=1e-6)
    np.testing.assert_array_equal(state[4:7], (0, 1, 0))
    np.testing.assert_array_equal(state[19:22], (0, 0, 0))
    np.testing.assert_allclose(state[22:24], 2 * pos[3] / scale, rtol=1e-6)


class DeterminismTest(absltest.TestCase):

  def _run(self, seed):
    env = registry.make("sts2", seed=seed)
    rng = np.random.default_rng(0)
    out = [env.reset().observation["state"]]
    for _ in range(300):
      out.append(_step(env, *rng.integers(0, 9, 3)).observation["state"])
    return np.array(out)

  def test_same_seed_same_game(self):
    np.testing.assert_array_equal(self._run(3), self._run(3))
    self.assertFalse(np.array_equal(self._run(3), self._run(4)))

  def test_render(self):
    image = team_sports.TeamSports(seed=0).render_rgb()
    self.assertEqual(image.shape, (288, 144, 3))
    self.assertEqual(image.dtype, np.uint8)


class PettingZooTest(absltest.TestCase):

  def test_parallel_api(self):
    env = adapters.PettingZooParallelEnv(team_sports.TeamSports(seed=0))
    with warnings.catch_warnings():
      warnings.simplefilter("error")
      parallel_api_test(env, num_cycles=200)

  def test_parallel_seed(self):
    parallel_seed_test(lambda: adapters.PettingZooParallelEnv(
        team_sports.TeamSports()), num_cycles=50)


class BenchmarkSmokeTest(absltest.TestCase):

  def test_measures(self):
    self.assertGreater(sts2_speed.env_steps_per_s(50), 0.0)
    self.assertGreater(sts2_speed.scripted_calibration(300)["ticks_per_s"],
                       0.0)
    self.assertLen(sts2_speed.random_vs_scripted(1), 4)


if __name__ == "__main__":
  absltest.main()
