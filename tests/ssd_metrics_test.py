"""Social outcome metrics and GIF recording, against hand computations."""

import math
import os

import numpy as np
from absl.testing import absltest
from PIL import Image

from environments import rendering
from environments.ssd import cleanup
from environments.ssd import metrics
from tests import scratch


class MetricsTest(absltest.TestCase):

  def test_equality(self):
    self.assertEqual(metrics.equality([3.0, 3.0, 3.0]), 1.0)
    self.assertAlmostEqual(metrics.equality([0.0, 10.0]), 0.5)
    # sum over ordered pairs |gaps| = 2 * (1 + 2 + 1) = 8;
    # 1 - 8 / (2 * 3 * 6) = 7/9.
    self.assertAlmostEqual(metrics.equality([1.0, 2.0, 3.0]), 7.0 / 9.0)
    self.assertEqual(metrics.equality([0.0, 0.0]), 1.0)
    self.assertTrue(math.isnan(metrics.equality([-5.0, 1.0])))

  def test_sustainability(self):
    # Agent 0 ate at steps 2 and 4 (mean 3), agent 1 at step 10, agent 2
    # nothing: (3 + 10) / 2.
    self.assertAlmostEqual(metrics.sustainability([6, 10, 0], [2, 1, 0]),
                           6.5)
    self.assertTrue(math.isnan(metrics.sustainability([0, 0], [0, 0])))

  def test_division_of_labour(self):
    split = metrics.division_of_labour([9, 1], [2, 18])
    self.assertAlmostEqual(split["cleaner_share"], 0.9)
    self.assertAlmostEqual(split["cleaner_apple_share"], 0.1)
    self.assertTrue(math.isnan(
        metrics.division_of_labour([0, 0], [1, 1])["cleaner_share"]))

  def test_episode_metrics(self):
    out = metrics.episode_metrics(
        np.array([2.0, 18.0]),
        {"apples": np.array([2, 18]), "apple_step_sum": np.array([10, 180]),
         "cleaned": np.array([9, 1])})
    self.assertEqual(out["collective_return"], 20.0)
    self.assertAlmostEqual(out["equality"], 1 - 32 / 80)
    self.assertAlmostEqual(out["sustainability"], 7.5)
    self.assertAlmostEqual(out["cleaner_share"], 0.9)


class RecordingTest(absltest.TestCase):

  def test_record_episode_writes_a_gif(self):
    env = cleanup.make("lio", seed=0)
    rng = np.random.default_rng(0)
    path = os.path.join(scratch.make_dir(self), "sub", "episode.gif")
    steps = rendering.record_episode(
        env, lambda obs: {a: np.int32(rng.integers(6)) for a in env.agent_ids},
        path, cell_pixels=4)
    self.assertEqual(steps, 50)
    with Image.open(path) as gif:
      self.assertEqual(gif.size, (28, 28))
      self.assertGreater(gif.n_frames, 1)

  def test_no_frames(self):
    with self.assertRaises(ValueError):
      rendering.write_gif([], os.path.join(scratch.make_dir(self), "x.gif"))


if __name__ == "__main__":
  absltest.main()
