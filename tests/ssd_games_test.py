"""Cleanup and Harvest rules, settings, observations and adapters."""

import warnings

import numpy as np
from absl.testing import absltest
from pettingzoo.test import parallel_api_test
from pettingzoo.test import parallel_seed_test
from tf_agents.environments import utils as env_utils
from tf_agents.trajectories import time_step as ts

from environments import adapters
from environments import registry
from environments.ssd import cleanup
from environments.ssd import engine
from environments.ssd import grid
from environments.ssd import harvest

LEFT, RIGHT, UP, DOWN, STAY, CLEAN = range(6)  # LIO action indices
# River on the left (4 dirty, 6 clean), apple cells on the right.
RIVER_MAP = ("@@@@@@@@",
             "@HR  PB@",
             "@HR   B@",
             "@RR   B@",
             "@HR   B@",
             "@HR P B@",
             "@@@@@@@@")
ORCHARD = ("@@@@@@@@@",
           "@P     P@",
           "@  A A  @",
           "@   A   @",
           "@  A    @",
           "@@@@@@@@@")


def _step(env, *actions):
  return env.step({a: np.int32(x) for a, x in zip(env.agent_ids, actions)})


def _river_game(**kwargs):
  params = dict(layout=RIVER_MAP, num_agents=2, actions=cleanup.LIO_ACTIONS,
                max_steps=50, view_radius=3, random_orientation=False,
                random_spawn=False, seed=0)
  params.update(kwargs)
  env = cleanup.Cleanup(**params)
  env.reset()
  return env


def _place(env, *cells):
  env.positions = np.array(cells, np.int64)


class CleanupTest(absltest.TestCase):

  def test_density_sets_spawn_probabilities(self):
    env = _river_game(apple_respawn_prob=0.5, depletion_threshold=0.6,
                      restoration_threshold=0.1)
    env.waste = np.array(grid.parse(RIVER_MAP)["H"])   # 4 of 10 dirty
    self.assertAlmostEqual(env.waste_density(), 0.4)
    apple, waste = env.spawn_probabilities()
    self.assertAlmostEqual(apple, (1 - (0.4 - 0.1) / 0.5) * 0.5)
    self.assertEqual(waste, 0.5)
    env.waste[:] = False
    self.assertEqual(env.spawn_probabilities(), (0.5, 0.5))
    env.waste[1:5, 1] = True
    env.waste[1:3, 2] = True
    self.assertAlmostEqual(env.waste_density(), 0.6)
    self.assertEqual(env.spawn_probabilities(), (0.0, 0.0))

  def test_at_most_one_waste_cell_per_step(self):
    env = _river_game(depletion_threshold=0.99)
    counts = [int(env.waste.sum())]
    for _ in range(20):
      _step(env, STAY, STAY)
      counts.append(int(env.waste.sum()))
    self.assertTrue(set(np.diff(counts)) <= {0, 1})
    self.assertGreater(counts[-1], counts[0])

  def test_waste_spawn_rate_is_one_minus_all_draws_failing(self):
    env = _river_game(waste_spawn_prob=0.1, depletion_threshold=0.99)
    env.waste = env.river.copy()
    env.waste[1, 2] = env.waste[2, 2] = False   # k = 2 clean cells
    spawned = 0
    for _ in range(4000):
      env._spawn()
      spawned += int(env.waste[1, 2] or env.waste[2, 2])
      env.waste[1, 2] = env.waste[2, 2] = False
    self.assertAlmostEqual(spawned / 4000, 1 - 0.9 ** 2, delta=0.02)

  def test_apples_spawn_on_free_apple_cells_only(self):
    env = _river_game(apple_respawn_prob=1.0, depletion_threshold=0.99)
    env.waste[:] = False
    _place(env, (2, 5), (4, 5))
    _step(env, RIGHT, STAY)   # agent 0 steps onto (2, 6)
    expected = np.zeros_like(env.apples)
    expected[1:6, 6] = True
    expected[2, 6] = False
    np.testing.assert_array_equal(env.apples, expected)

  def test_eating_an_apple(self):
    env = _river_game()
    env.apples[3, 6] = True
    _place(env, (3, 5), (5, 4))
    step = _step(env, RIGHT, STAY)
    np.testing.assert_array_equal(step.reward, [1.0, 0.0])
    self.assertFalse(env.apples[3, 6])
    self.assertEqual(env.get_info()["apples"].tolist(), [1, 0])
    self.assertEqual(env.get_info()["apple_step_sum"].tolist(), [1, 0])

  def test_cleaning_beam_cleans_the_first_dirty_cell_of_each_ray(self):
    env = _river_game(depletion_threshold=0.99, waste_spawn_prob=0.0)
    _place(env, (4, 1), (1, 5))   # facing up in the dirty column
    dirty_before = env.waste.copy()
    step = _step(env, CLEAN, STAY)
    cleaned = dirty_before & ~env.waste
    # Central ray: (3,1) is clean river, (2,1) dirty -> cleaned, stops.
    # Right ray from (4,2) up column 2: all clean river, nothing to clean.
    self.assertEqual(np.argwhere(cleaned).tolist(), [[2, 1]])
    np.testing.assert_array_equal(step.reward, [0.0, 0.0])
    self.assertEqual(env.get_info()["cleaned"].tolist(), [1, 0])
    self.assertEqual(env.get_info()["clean_beams"].tolist(), [1, 0])
    np.testing.assert_array_equal(step.observation["agent_1"].shape, (7, 7,
                                                                      3))

  def test_penalty_beam_costs_the_firer_and_hits_others(self):
    env = _river_game(actions=cleanup.ALL_ACTIONS, depletion_threshold=0.99)
    _place(env, (4, 4), (2, 4))
    step = _step(env, grid.FIRE, grid.STAY)
    np.testing.assert_array_equal(step.reward, [-1.0, -50.0])
    self.assertEqual(env.get_info()["hits"].tolist(), [0, 1])

  def test_reset_runs_one_spawn_and_original_map_starts_depleted(self):
    env = cleanup.make("ssd", seed=0)
    env.reset()
    self.assertAlmostEqual(env.waste_density(), 56 / 119)
    self.assertFalse(env.apples.any())
    spawned = _river_game(apple_respawn_prob=1.0, depletion_threshold=0.99)
    self.assertTrue(spawned.apples.any())

  def test_colours(self):
    env = _river_game()
    image = env.rgb_map()
    self.assertEqual(image[0, 0].tolist(), [180, 180, 180])
    self.assertEqual(image[1, 1].tolist(), [113, 75, 24])    # dirty
    self.assertEqual(image[1, 2].tolist(), [99, 156, 194])   # clean
    self.assertEqual(image[2, 4].tolist(), [0, 0, 0])
    swapped = _river_game(original_colors=True).rgb_map()
    self.assertEqual(swapped[1, 1].tolist(), [99, 156, 194])
    self.assertEqual(swapped[1, 2].tolist(), [113, 75, 24])
    env.apples[2, 6] = True
    self.assertEqual(env.rgb_map()[2, 6].tolist(), [0, 255, 0])
    agent = env.rgb_map()[tuple(env.positions[1])]
    self.assertEqual(agent.tolist(), engine.AGENT_COLORS[1].tolist())

  def test_beams_show_for_one_step(self):
    env = _river_game(depletion_threshold=0.99, waste_spawn_prob=0.0)
    _place(env, (4, 4), (1, 5))
    _step(env, CLEAN, STAY)
    self.assertEqual(env.rgb_map()[3, 4].tolist(), [100, 255, 255])
    _step(env, STAY, STAY)
    self.assertEqual(env.rgb_map()[3, 4].tolist(), [0, 0, 0])

  def test_lio_setting(self):
    env = cleanup.make("lio", seed=0)
    first = env.reset()
    self.assertEqual(env.positions.tolist(), [[5, 2], [1, 4]])
    self.assertEqual(env.orientations.tolist(), [grid.UP, grid.UP])
    self.assertEqual(env.action_spec()["agent_0"].maximum, 5)
    obs = first.observation["agent_0"]
    self.assertEqual(obs.shape, (9, 9, 3))
    self.assertEqual(obs.dtype, np.float32)
    self.assertLess(obs.max(), 1.0)
    self.assertEqual((env.apple_respawn_prob, env.depletion_threshold),
                     (0.5, 0.6))
    for t in range(50):
      step = _step(env, STAY, STAY)
      self.assertEqual(step.is_last(), t == 49)
    self.assertEqual(step.discount, 0.0)
    big = cleanup.make("lio", "cleanup_10x10_sym")
    self.assertEqual(big.observation_spec()["agent_1"].shape, (15, 15, 3))
    self.assertEqual((big.apple_respawn_prob, big.depletion_threshold),
                     (0.3, 0.4))

  def test_ssd_setting_truncates(self):
    env = cleanup.make("ssd", seed=0, max_steps=3)
    self.assertEqual(env.num_agents, 5)
    self.assertEqual(env.observation_spec()["agent_0"].dtype, np.uint8)
    env.reset()
    for _ in range(3):
      step = _step(env, *[STAY] * 5)
    self.assertEqual(step.step_type, ts.StepType.LAST)
    self.assertEqual(step.discount, 1.0)

  def test_global_state(self):
    env = cleanup.make("lio", with_state=True, seed=0)
    env.reset()
    step = _step(env, CLEAN, STAY)
    state = step.observation["state"]
    self.assertEqual(state["image"].shape, (7, 7, 3))
    np.testing.assert_array_equal(state["cleaners"], [1.0, 0.0])

  def test_bad_settings(self):
    with self.assertRaises(ValueError):
      cleanup.make("nope")
    with self.assertRaises(ValueError):
      cleanup.make("lio", num_agents=3)          # two spawn points
    with self.assertRaises(ValueError):
      cleanup.make("lio", depletion_threshold=0.0)
    with self.assertRaises(ValueError):
      cleanup.make("lio", actions=(0, 0))
    with self.assertRaises(ValueError):
      cleanup.make("lio", map_name="harvest")


class HarvestTest(absltest.TestCase):

  def _game(self, **kwargs):
    env = harvest.Harvest(layout=ORCHARD, num_agents=2, max_steps=20,
                          view_radius=2, seed=0, **kwargs)
    env.reset()
    return env

  def test_all_apple_cells_start_full(self):
    env = self._game()
    np.testing.assert_array_equal(env.apples, env.apple_cells)

  def test_regrowth_probability_by_neighbourhood(self):
    for name, probs in (("ssd", (0.005, 0.02)),
                        ("meltingpot", (0.0025, 0.005))):
      env = self._game(neighbourhood=name)
      _place(env, (1, 1), (1, 7))
      env.apples[:] = False
      env.apples[2, 3] = True       # diagonal neighbour of (3, 4)
      env.apples[2, 5] = True       # diagonal neighbour of (3, 4)
      env.apples[4, 3] = True       # diagonal neighbour of (3, 4)
      # (3, 4) sees three apples in both neighbourhoods; (2, 5) is an apple.
      p = env.regrowth_probabilities()
      self.assertAlmostEqual(p[3, 4], harvest.NEIGHBOURHOODS[name][1][3])
      self.assertEqual(p[2, 5], 0.0)
      env.apples[:] = False
      env.apples[2, 3] = True
      p = env.regrowth_probabilities()
      self.assertAlmostEqual(p[3, 4], probs[0])   # one diagonal apple
      self.assertEqual(p[2, 3], 0.0)
      # (4, 3) is two rows below (2, 3): only Melting Pot's radius sees it.
      self.assertAlmostEqual(p[4, 3], 0.0 if name == "ssd" else probs[0])

  def test_no_regrowth_under_agents_or_without_neighbours(self):
    env = self._game()
    env.apples[:] = False
    env.apples[3, 4] = True
    _place(env, (2, 3), (1, 7))
    p = env.regrowth_probabilities()
    self.assertEqual(p[2, 3], 0.0)
    self.assertGreater(p[2, 5], 0.0)
    env.apples[:] = False
    self.assertFalse(env.regrowth_probabilities().any())

  def test_no_cleaning_beam(self):
    with self.assertRaises(ValueError):
      harvest.Harvest(actions=tuple(range(9)))
    with self.assertRaises(ValueError):
      harvest.Harvest(neighbourhood="square")

  def test_original_setting(self):
    env = harvest.Harvest(seed=0)
    first = env.reset()
    self.assertEqual(env.num_agents, 5)
    self.assertEqual(first.observation["agent_4"].shape, (15, 15, 3))
    self.assertEqual(env.action_spec()["agent_0"].maximum, 7)
    self.assertEqual(int(env.apples.sum()), 155)


class EnvironmentContractTest(absltest.TestCase):

  def test_specs_validate(self):
    for env in (cleanup.make("lio", seed=0),
                harvest.Harvest(seed=0, max_steps=20),
                cleanup.make("ssd", seed=0, max_steps=20, with_state=True)):
      env_utils.validate_py_environment(env, episodes=2)

  def test_same_seed_same_episodes(self):
    def rollout(make):
      env, rng = make(), np.random.default_rng(1)
      steps = [env.reset()]
      for _ in range(60):
        steps.append(_step(env, *rng.integers(0, 8, env.num_agents)))
      return steps
    for make in (lambda: cleanup.make("ssd", seed=3, max_steps=25),
                 lambda: harvest.Harvest(seed=3, max_steps=25)):
      first, second = rollout(make), rollout(make)
      for a, b in zip(first, second):
        np.testing.assert_array_equal(a.reward, b.reward)
        np.testing.assert_array_equal(a.observation["agent_0"],
                                      b.observation["agent_0"])

  def test_registry(self):
    self.assertIsInstance(registry.make("cleanup", setting="lio"),
                          cleanup.Cleanup)
    self.assertIsInstance(registry.make("harvest"), harvest.Harvest)

  def test_pettingzoo_adapters(self):
    for make in (lambda: cleanup.make("lio"),
                 lambda: harvest.Harvest(max_steps=30)):
      with warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel_api_test(adapters.PettingZooParallelEnv(make()),
                          num_cycles=40)
      parallel_seed_test(lambda: adapters.PettingZooParallelEnv(make()),
                         num_cycles=20)

  def test_render(self):
    env = cleanup.make("lio", seed=0)
    env.reset()
    frame = env.render(cell_pixels=4)
    self.assertEqual(frame.shape, (28, 28, 3))
    self.assertEqual(frame.dtype, np.uint8)


if __name__ == "__main__":
  absltest.main()
