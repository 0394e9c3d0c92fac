r"""AgA and its baselines on the public goods game (the AgA paper's table).

Fifty runs per method from the same random starts; prints r_1, r_2, social
welfare (SW) and Equality (1 - Gini) as mean ± 95% interval in the paper's
layout, and writes them to ``--out`` (JSON) if given.

  python -m launchers.aga_public_goods
  python -m launchers.aga_public_goods --num_players=4 --multiplier=3

The paper fixes b = 1, c = 1.5, two players, 50 runs; it does not give the
step size, the starts, λ or how contributions are parameterized. Defaults
here: 100 plain gradient steps of size 0.3 from w ~ N(0, 2²), a = b σ(w),
λ = 1 (see `mmagents.aga.optimizers` for each method and for the reading of
"SL").
"""

import dataclasses
import json

from absl import flags

from mmagents.aga import experiments
from mmagents.aga import games
from mmagents.core import launch

_DEFAULTS = experiments.PublicGoodsSetup()
flags.DEFINE_integer("runs", _DEFAULTS.runs, "Random starts per method.")
flags.DEFINE_integer("steps", _DEFAULTS.steps, "Gradient steps per run.")
flags.DEFINE_float("learning_rate", _DEFAULTS.learning_rate, "Step size.")
flags.DEFINE_float("init_std", _DEFAULTS.init_std,
                   "Starts: w ~ N(0, init_std²).")
flags.DEFINE_float("alignment", _DEFAULTS.alignment,
                   "λ of CGA, SGA and AgA (AgA's sign follows its rule).")
flags.DEFINE_integer("num_players", _DEFAULTS.num_players, "Players n.")
flags.DEFINE_float("endowment", _DEFAULTS.endowment, "b: most one can give.")
flags.DEFINE_float("multiplier", _DEFAULTS.multiplier,
                   "c: the pool is multiplied by c and shared by all.")
flags.DEFINE_enum("parameterization", _DEFAULTS.parameterization,
                  list(games.PARAMETERIZATIONS),
                  "a = b·sigmoid(w), or a = clip(w, 0, b).")
flags.DEFINE_list("methods", experiments.method_names(), "Methods to run.")
flags.DEFINE_integer("seed", _DEFAULTS.seed, "Seed of the random starts.")
flags.DEFINE_string("out", "", "Write the table as JSON here.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  with launch.bad_input():
    setup = experiments.PublicGoodsSetup(
        runs=FLAGS.runs, steps=FLAGS.steps, learning_rate=FLAGS.learning_rate,
        init_std=FLAGS.init_std, alignment=FLAGS.alignment,
        num_players=FLAGS.num_players, endowment=FLAGS.endowment,
        multiplier=FLAGS.multiplier, parameterization=FLAGS.parameterization,
        seed=FLAGS.seed)
    unknown = set(FLAGS.methods) - set(experiments.method_names())
    if unknown:
      raise ValueError(f"unknown methods {sorted(unknown)}; known: "
                       f"{', '.join(experiments.method_names())}")
  table = experiments.summarize(experiments.public_goods(setup,
                                                         FLAGS.methods))
  print(experiments.format_table(table))
  if FLAGS.out:
    with open(FLAGS.out, "w", encoding="utf-8") as f:
      json.dump({"setup": dataclasses.asdict(setup), "table": table}, f,
                indent=2)


if __name__ == "__main__":
  launch.run(main)
