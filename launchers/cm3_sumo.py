r"""CM3 (credit function, curriculum, function augmentation) on SUMO's
double lane merge (thesis Fig. 3.5d; heavy-traffic tests: --config=C1..C4).

  python -m launchers.cm3_sumo --root_dir=runs/cm3_sumo_s1 --stage=1
  python -m launchers.cm3_sumo --root_dir=runs/cm3_sumo \
      --stage1_dir=runs/cm3_sumo_s1
  python -m launchers.cm3_sumo --root_dir=runs/qv_sumo \
      --stage1_dir=runs/cm3_sumo_s1 --ablation=qv
  python -m launchers.cm3_sumo --root_dir=runs/direct_sumo --ablation=direct

Defaults: thesis Table A.4 and App. A.8.2 (mmagents/cm3/presets.py), except
that Stage 2 weights replayed actions by min(π̃/μ, 10), without which the
buffer's stale actions made one of three seeds collapse
(--hparam=importance_weight_cap=0 restores the thesis), and the time limit:
40 steps as in CM3's code, not the thesis' 33 (--max_steps=33);
--hparam key=value overrides one config field.
"""

from absl import flags

from launchers import multigoal_common
from mmagents.core import launch

multigoal_common.define_flags("sumo", "cm3")
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(multigoal_common)


def main(argv):
  del argv
  multigoal_common.train("cm3_sumo", "sumo", "cm3")


if __name__ == "__main__":
  launch.run(main)
