r"""AgA against Simul-Ind and Simul-Co on Cleanup and Harvest (actor-critic).

Runs `aga_cleanup` / `aga_harvest` for Simul-Ind (independent learners),
Simul-Co (every agent on the collective gradient) and AgA with each λ of
the AgA paper's runs, over seeds (`reproduce_lib`); prints the collective
return and equality (1 - Gini of the agents' returns) as mean ± 95%
interval over seeds, then sustainability (mean step at which apples were
eaten), and draws each curve per game.

  python -m benchmarks.reproduce_aga_ssd --seeds=0,1,2 --jobs=2
  python -m benchmarks.reproduce_aga_ssd --experiment=cleanup7 \
      --method=simul_ind --method=aga_1 --num_episodes=3000

Games: LIO's 7x7 Cleanup with two agents (50 steps), and the original
Harvest map with five agents and no penalty beam (so returns stay
non-negative and equality is defined), with 100-step episodes
(``harvest``: no patch runs out, so the dilemma barely bites) or the
original 1,000 steps (``harvest1000``: greedy learners exhaust the
patches); the launchers' other defaults apply.
"""

from __future__ import annotations

from typing import Dict

from absl import app

from benchmarks import reproduce_lib
from mmagents.core import launch

ALIGNMENTS = ("0.1", "1", "100", "1000")


def _methods(launcher: str) -> Dict[str, str]:
  methods = {m: f"{launcher} --method={m}" for m in ("simul_ind", "simul_co")}
  methods.update({f"aga_{a}": f"{launcher} --method=aga --alignment={a}"
                  for a in ALIGNMENTS})
  methods["aga_no_sign_1"] = f"{launcher} --method=aga_no_sign --alignment=1"
  methods.update({f"aga_{a}_step": f"{launcher} --method=aga --alignment={a} "
                                    "--dice_horizon=1" for a in ("1", "100")})
  methods.update({f"aga_{a}_mean": f"{launcher} --method=aga --alignment={a} "
                                    "--loss_scale=step" for a in ALIGNMENTS})
  return methods


EXPERIMENTS = {
    "cleanup7": reproduce_lib.Experiment(
        ("--map=cleanup_small_sym",), None, _methods("launchers.aga_cleanup")),
    "harvest": reproduce_lib.Experiment(
        ("--max_steps=100", "--nopenalty_beam"), None,
        _methods("launchers.aga_harvest")),
    "harvest1000": reproduce_lib.Experiment(
        ("--max_steps=1000", "--nopenalty_beam"), None,
        _methods("launchers.aga_harvest")),
}
METHODS = tuple(_methods(""))

reproduce_lib.define_flags("runs/reproduce_aga_ssd", EXPERIMENTS, METHODS)


def main(argv):
  del argv
  return reproduce_lib.main(EXPERIMENTS, METHODS, "return_mean",
                            "collective return",
                            extra_metrics=("outcome.equality",
                                           "outcome.sustainability"))


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
