r"""Reproduces thesis Fig. 6.1: MetaGrad against dual-RL on Escape Room.

Runs every (experiment, method) launcher with its defaults (Tables C.1/C.2,
100,000 episodes) for each seed (`reproduce_lib`), prints a table of the
designer's test-time return (collective extrinsic return minus incentives
given; mean ± 95% Student-t interval over seeds, wall time per run) and
writes one learning-curve PNG per experiment; on ER(2,1) also the incentives
received per action by the "cooperator" (the agent who ends up pulling the
lever) and the "winner" (who ends up exiting), as in Fig. 6.1d.

  python -m benchmarks.reproduce_metagrad --experiment=er52 --jobs=2
  python -m benchmarks.reproduce_metagrad --experiment=er21 --method=metagrad

What the thesis reports: MetaGrad converges to about 26 in ER(5,2) and 40 in
ER(10,5) (10 (N - M) - M - M (1 + ε) when the M pullers are paid 1 + ε; the
table's optimum is the game's 10 (N - M) - M, reached if the pullers pull
unpaid); the cooperator
receives about 1 + ε for pulling while the winner ends up receiving nothing;
dual-RL does not solve ER(5,2) with any of its action sets.
"""

from __future__ import annotations

from typing import Dict

from absl import app

from benchmarks import reproduce_lib
from mmagents.core import launch

Experiment = reproduce_lib.Experiment
_METAGRAD = "launchers.metagrad_escape_room"
_DUAL = "launchers.dual_rl_escape_room"
_ALL = {"metagrad": _METAGRAD,
        "metagrad_ppo": f"{_METAGRAD} --outer_objective=ppo",
        "dual_d_small": f"{_DUAL} --action_set=small",
        "dual_d_medium": f"{_DUAL} --action_set=medium",
        "dual_d_large": f"{_DUAL} --action_set=large",
        "dual_c": f"{_DUAL} --action_set=continuous"}
# The optimum is the game's best collective return, 10 (N - M) - M: the
# designer's return reaches it if the pullers pull without being paid.
EXPERIMENTS: Dict[str, Experiment] = {
    "er52": Experiment(("--num_agents=5", "--min_at_lever=2"), 28.0, _ALL),
    "er105": Experiment(("--num_agents=10", "--min_at_lever=5"), 45.0, _ALL),
    "er21": Experiment(("--num_agents=2", "--min_at_lever=1"), 9.0,
                       {"metagrad": _METAGRAD}),
}
METHODS = tuple(_ALL)

reproduce_lib.define_flags("runs/reproduce_metagrad", EXPERIMENTS, METHODS)


def main(argv):
  del argv
  return reproduce_lib.main(EXPERIMENTS, METHODS, "designer_return",
                            "designer's test-time return",
                            reproduce_lib.RolePlot(
                                "metagrad",
                                {"cooperator": "lever", "winner": "door"},
                                ("er21",)))


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
