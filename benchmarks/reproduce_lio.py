r"""Reproduces thesis Fig. 5.4/5.5: LIO against its baselines, several seeds.

Runs every (experiment, method) launcher with its defaults (the thesis'
hyperparameters and episode counts) for each seed (`reproduce_lib`), prints a
table of collective extrinsic returns (mean ± 95% Student-t interval over
seeds, wall time per run) and writes one learning-curve PNG per experiment
with a band per method; on ER(2,1) and ER(3,2) also the incentives LIO agents
pay the puller for each action (Fig. 5.5 b, d).

  python -m benchmarks.reproduce_lio --seeds=0,1,2,3,4
  python -m benchmarks.reproduce_lio --experiment=er21 --method=lio --jobs=2

What the thesis reports: LIO near the optimum (9 in ER(2,1), 8 in ER(3,2))
and near mutual cooperation in the IPD (-2 per step pair, -10 per 5-step
episode); PG not. "last 10 evals" is each seed's mean over its last 10
evaluations (less noisy than the final one); "near it" counts the seeds whose
last-10 mean is within 1.0 of the optimum.
"""

from __future__ import annotations

from typing import Dict

from absl import app

from benchmarks import reproduce_lib
from mmagents.core import launch

Experiment = reproduce_lib.Experiment
EXPERIMENTS: Dict[str, Experiment] = {
    "er21": Experiment((), 9.0, {
        "lio": "launchers.lio_escape_room",
        "lio_dec": "launchers.lio_dec_escape_room",
        "lio_1ep": "launchers.lio_escape_room --one_episode",
        "pg": "launchers.pg_escape_room",
        "pg_d": "launchers.pg_d_escape_room",
        "pg_c": "launchers.pg_c_escape_room"}),
    "er32": Experiment(("--num_agents=3", "--min_at_lever=2"), 8.0, {
        "lio": "launchers.lio_escape_room",
        "lio_dec": "launchers.lio_dec_escape_room",
        "pg": "launchers.pg_escape_room",
        "pg_d": "launchers.pg_d_escape_room",
        "pg_c": "launchers.pg_c_escape_room"}),
    "ipd": Experiment((), -10.0, {"lio": "launchers.lio_ipd",
                                  "pg": "launchers.pg_ipd"}),
    # App. B.5.1 (Fig. B.3): a LIO giver paired with a learning recipient, and
    # two PG agents (agent_0 with give-reward actions). 10,000 episodes: LIO
    # is at the optimum after about 2,500.
    "asym": Experiment(("--asymmetric", "--num_episodes=10000"), 9.0, {
        "lio": "launchers.lio_escape_room",
        "lio_1ep": "launchers.lio_escape_room --one_episode",
        "pg": "launchers.pg_escape_room"}),
}
METHODS = ("lio", "lio_dec", "lio_1ep", "pg", "pg_d", "pg_c")

reproduce_lib.define_flags("runs/reproduce_lio", EXPERIMENTS, METHODS)


def main(argv):
  del argv
  return reproduce_lib.main(EXPERIMENTS, METHODS, "return_mean",
                            "collective extrinsic return",
                            reproduce_lib.RolePlot("lio", {"puller": "lever"},
                                                   ("er21", "er32")))


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
