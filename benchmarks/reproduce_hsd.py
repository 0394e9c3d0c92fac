r"""HSD against QMIX and IQL on STS2 3v3 against the scripted team, with
HSD-scripted and HSD-ext (thesis Fig. 4.4a): win rate over training.

Runs every method over seeds (`reproduce_lib`), prints the final win rate
(mean ± 95% interval over seeds; a run's score is the mean of its last 10
evaluations of 20 episodes) and draws one curve per method.

  python -m benchmarks.reproduce_hsd --seeds=0,1,2 --jobs=2
  python -m benchmarks.reproduce_hsd --method=hsd --method=qmix \
      --num_episodes=5000 --eval_interval=100
"""

from __future__ import annotations

from absl import app

from benchmarks import reproduce_lib
from mmagents.core import launch

METHODS = ("hsd", "qmix", "iql", "hsd_scripted", "hsd_ext")
EXPERIMENTS = {
    "sts2": reproduce_lib.Experiment((), None, {
        "hsd": "launchers.hsd_sts2",
        "qmix": "launchers.qmix_sts2",
        "iql": "launchers.iql_sts2",
        "hsd_scripted": "launchers.hsd_scripted_sts2",
        "hsd_ext": "launchers.hsd_sts2 --hparam=alpha_start=0 "
                   "--hparam=alpha_end=0",
    })}

reproduce_lib.define_flags("runs/reproduce_hsd", EXPERIMENTS, METHODS)


def main(argv):
  del argv
  return reproduce_lib.main(EXPERIMENTS, METHODS, "events.win", "win rate",
                            extra_metrics=("events.goals_for",
                                           "events.goals_against"))


if __name__ == "__main__":
  app.run(main, flags_parser=launch.parse_flags)
