r"""MetaGrad on Escape Room ER(N, M) (the MetaGrad curves of thesis Fig. 6.1).

A central incentive designer pays independent PG learners per action type;
its test-time return (collective extrinsic return minus incentives, the
``designer_return`` metric) approaches about 26 in ER(5, 2) and 40 in
ER(10, 5).

  python -m launchers.metagrad_escape_room --root_dir=runs/metagrad_er52
  python -m launchers.metagrad_escape_room --root_dir=runs/metagrad_er105 \
      --n_agents=10 --m_required=5
  python -m launchers.metagrad_escape_room --root_dir=runs/metagrad_ppo \
      --outer_objective=ppo

Defaults follow thesis Table C.1 (MetaGrad column; Table C.2 has the same
values) and the authors' 100,000 episodes. With pipelining one episode on the
horizontal axis is one iteration (one rollout; the first iteration plays one
more to start the pipeline, not counted in ``env_steps``).

Conflict resolved: Table C.1 gives learner layers (64, 64) and designer
layers (64, 32); the authors' configuration file has (64, 32) and (64, 16).
The table is the default; ``--hidden_sizes`` and ``--designer_hidden_sizes``
select the other.
"""

import dataclasses

from absl import flags

from launchers import common
from mmagents.core import launch
from mmagents.metagrad import designer

_DEFAULTS = designer.MetaGradConfig()

launch.define_run_flags(num_episodes=100_000, eval_interval=500,
                        num_eval_episodes=20)
common.define_pg_flags(_DEFAULTS)
common.define_designer_flags(_DEFAULTS)
common.define_outer_flags(_DEFAULTS)
common.define_designer_critic_flags(_DEFAULTS)  # Used by ppo.
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS


def config_from_flags() -> designer.MetaGradConfig:
  return designer.MetaGradConfig(
      **dataclasses.asdict(common.pg_config_from_flags()),
      **common.designer_config_kwargs(), **common.outer_config_kwargs())


def main(argv):
  del argv
  common.train_eval_designer_escape_room("metagrad_escape_room", "metagrad",
                                         config_from_flags)


if __name__ == "__main__":
  launch.run(main)
