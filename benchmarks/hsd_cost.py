r"""What a training step of HSD costs on STS2 3v3, against IQL and QMIX.

Each method runs through the experiment runner's compiled iteration (one
500-step-limit episode: collection with the exploring policy, then the
updates due) with its default networks. After a warm-up that fills the
replay buffers past one minibatch, prints per method the environment steps
per second of whole iterations, and the time of one minibatch update
(HSD: its low-level IQL update and its high-level QMIX update), with ratios
against IQL, the baseline.

  python -m benchmarks.hsd_cost --iterations=20
"""

from __future__ import annotations

from mmagents.core import launch  # pylint: disable=g-import-not-at-top,unused-import
import time  # pylint: disable=g-import-not-at-top
from typing import Dict  # pylint: disable=g-import-not-at-top

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top

from benchmarks import bench_lib

flags.DEFINE_integer("iterations", 20, "Timed iterations (episodes) per "
                     "method.", lower_bound=1)
flags.DEFINE_integer("warmup", 5, "Iterations before timing.", lower_bound=1)
flags.DEFINE_integer("updates", 200, "Timed minibatch updates.",
                     lower_bound=1)
FLAGS = flags.FLAGS
METHODS = ("iql_team", "qmix_team", "hsd")


def measure(method: str) -> Dict[str, float]:
  """Env steps/s of whole iterations and seconds per minibatch update."""
  runner = bench_lib.make_runner(method, "sts2", {})
  for _ in range(FLAGS.warmup):
    runner._iteration()  # pylint: disable=protected-access
  steps, start = 0, time.perf_counter()
  for _ in range(FLAGS.iterations):
    _, count, _, _ = runner._iteration()  # pylint: disable=protected-access
    steps += int(count)
  result = {"steps_per_s": steps / (time.perf_counter() - start)}
  agent = runner.agent
  updates = ({"low": agent._low_update, "high": agent._high_update}  # pylint: disable=protected-access
             if method == "hsd" else {"update": agent._update})  # pylint: disable=protected-access
  for name, fn in updates.items():
    result[f"{name}_update_s"] = bench_lib.best_seconds(fn, FLAGS.updates, 3)
  return result


def main(argv):
  del argv
  results = {m: measure(m) for m in METHODS}
  base = results["iql_team"]
  print(f"{'method':<10}{'env steps/s (train)':>20}{'vs IQL':>8}"
        f"{'update ms':>11}{'vs IQL':>8}")
  for method, r in results.items():
    for key in sorted(k for k in r if k.endswith("_update_s")):
      label = method if key == "update_update_s" else (
          f"{method} {key.split('_')[0]}")
      print(f"{label:<10}{r['steps_per_s']:>20.0f}"
            f"{r['steps_per_s'] / base['steps_per_s']:>7.2f}x"
            f"{1e3 * r[key]:>11.2f}"
            f"{r[key] / base['update_update_s']:>7.2f}x")


if __name__ == "__main__":
  app.run(main)
