r"""AgA on the two-player toy game (the AgA paper's Fig. 2).

Follows every method from one start, prints the collective reward reached
and the steps to the social optimum (collective reward within 0.02 of 2),
and draws the trajectories over the collective reward landscape and over
player 1's reward contours to ``--out`` (PNG).

  python -m launchers.aga_toy_game --out=toy_game.png

The paper does not give the start, step size or λ; the defaults (start
(-1.5, -2), step 0.1, λ = 0.1, 40 steps) are a start from which only
Simul-Co and AgA reach the optimum.
"""

from absl import flags
import numpy as np

from mmagents.aga import experiments
from mmagents.aga import games
from mmagents.core import launch

_DEFAULTS = experiments.ToySetup()
flags.DEFINE_list("start", [str(a) for a in _DEFAULTS.start],
                  "Initial actions a_1, a_2.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate, "Step size.")
flags.DEFINE_float("alignment", _DEFAULTS.alignment,
                   "λ of CGA, SGA and AgA.")
flags.DEFINE_integer("steps", _DEFAULTS.steps, "Steps per trajectory.")
flags.DEFINE_list("methods", experiments.method_names(), "Methods to run.")
flags.DEFINE_string("out", "", "Write the trajectory figure here (PNG).")
flags.DEFINE_float("view", 4.0, "Half-width of the plotted window around "
                   "the start (diverging paths leave it).")
FLAGS = flags.FLAGS


def _plot(paths, start, half_width: float, out: str) -> None:
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  low, high = np.array(start) - half_width, np.array(start) + half_width
  a1, a2 = np.meshgrid(np.linspace(low[0], high[0], 200),
                       np.linspace(low[1], high[1], 200))
  losses = games.losses_at(a1.astype(np.float32),
                           a2.astype(np.float32)).numpy()
  fig, axes = plt.subplots(1, 2, figsize=(12, 5))
  for ax, field, title in ((axes[0], -losses.sum(0), "collective reward"),
                           (axes[1], -losses[0], "player 1 reward")):
    shade = ax.contourf(a1, a2, field, levels=30, cmap="Oranges")
    fig.colorbar(shade, ax=ax)
    for name, path in paths.items():
      ax.plot(path[:, 0], path[:, 1], marker=".", markersize=3, label=name)
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    ax.set_xlabel("a1")
    ax.set_ylabel("a2")
    ax.set_title(title)
  axes[0].legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(out, dpi=120)
  plt.close(fig)


def main(argv):
  del argv
  with launch.bad_input():
    try:
      start = tuple(float(a) for a in FLAGS.start)
    except ValueError:
      raise ValueError(f"--start must be two numbers, got {FLAGS.start}"
                       ) from None
    if len(start) != 2 or FLAGS.steps < 1 or FLAGS.learning_rate <= 0:
      raise ValueError("--start needs two numbers, --steps >= 1 and "
                       "--learning_rate > 0")
    unknown = set(FLAGS.methods) - set(experiments.method_names())
    if unknown:
      raise ValueError(f"unknown methods {sorted(unknown)}")
  setup = experiments.ToySetup(start, FLAGS.learning_rate, FLAGS.alignment,
                               FLAGS.steps)
  paths = experiments.toy_trajectories(setup, FLAGS.methods)
  print(f"{'method':<12}{'final collective reward':>24}{'steps to optimum':>18}")
  for name, path in paths.items():
    final = experiments.collective_rewards(path)[-1]
    steps = experiments.steps_to_optimum(path)
    print(f"{name:<12}{final:>24.3f}{steps if steps >= 0 else '-':>18}")
  if FLAGS.out:
    _plot(paths, start, FLAGS.view, FLAGS.out)
    print(f"wrote {FLAGS.out}")


if __name__ == "__main__":
  launch.run(main)
