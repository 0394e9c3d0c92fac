r"""CM3 (credit function, curriculum, function augmentation) on Checkers (thesis
Fig. 3.5e).

  python -m launchers.cm3_checkers --root_dir=runs/cm3_checkers_s1 --stage=1
  python -m launchers.cm3_checkers --root_dir=runs/cm3_checkers \
      --stage1_dir=runs/cm3_checkers_s1
  python -m launchers.cm3_checkers --root_dir=runs/qv_checkers \
      --stage1_dir=runs/cm3_checkers_s1 --ablation=qv
  python -m launchers.cm3_checkers --root_dir=runs/direct_checkers --ablation=direct

Defaults: thesis Table A.5 and App. A.8.3 (mmagents/cm3/presets.py), except
that Stage 2 adds an entropy bonus of 0.1 to the actor's objective, without
which 4 of 5 seeds locked into deterministic policies below the optimum
(--hparam=entropy_coeff=0 restores the thesis); --hparam key=value
overrides one config field. --greedy_eval_episodes=1 also records the
return of the policies' mode (greedy_return_mean), which reaches 24 while
sampled evaluations of the still-stochastic policies stay near 23.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("checkers", "cm3")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("cm3_checkers", "checkers", "cm3")


if __name__ == "__main__":
  launch.run(main)
