r"""LIO on Escape Room ER(N, M) (the LIO curves of thesis Fig. 5.5).

LIO agents learn to pay others to pull the lever: the collective extrinsic
return approaches the optimum, 9 in ER(2, 1) and 8 in ER(3, 2).

  python -m launchers.lio_escape_room --root_dir=runs/lio_er21
  python -m launchers.lio_escape_room --root_dir=runs/lio_er32 \
      --n_agents=3 --m_required=2
  python -m launchers.lio_escape_room --root_dir=runs/lio1_er21 --one_episode
  python -m launchers.lio_escape_room --root_dir=runs/lio_asym --asymmetric

Defaults follow thesis Table B.4 (LIO columns) and App. B.4.2; with
``--num_agents=3`` the N = 3 column's ε_end (0.3) is the default. One episode
on the horizontal axis is one iteration of Algorithm 2 (two rollouts);
``env_steps`` counts both.

``--asymmetric`` pairs a LIO giver (agent_0, who can exit) with a recipient
(agent_1, who can pull the lever) that only learns from its rewards, as in
thesis App. B.5.1 (Fig. B.3c). agent_0 has no give-reward actions there: it
gives through its incentive function, which sees agent_1's current action, so
agent_0's policy does not need that action in its observation.
"""

import dataclasses

from absl import flags

from launchers import common
from mmagents.core import launch
from mmagents.lio import agent as lio

launch.define_run_flags(num_episodes=50_000, eval_interval=500,
                        num_eval_episodes=20)
common.define_lio_flags(lio.LIOConfig())
common.define_escape_room_flags()
common.define_asymmetric_flag()
flags.DEFINE_bool("one_episode", False,
                  "The 1-episode LIO ablation (App. B.5.1): incentives are "
                  "learned on the policy step's own episode.")
# --help lists the shared run and method flags too.
flags.adopt_module_key_flags(launch)
flags.adopt_module_key_flags(common)
FLAGS = flags.FLAGS

def main(argv):
  del argv
  common.set_lio_epsilon_end_for_three_agents()
  with launch.bad_input():
    config = common.lio_config_from_flags()
  if FLAGS.asymmetric:
    config = dataclasses.replace(config, givers=(0,))
  env_name, env_kwargs = common.escape_room_env(give_actions=False)
  method = "lio_one_episode" if FLAGS.one_episode else "lio"
  common.train_eval("lio_escape_room", env_name, env_kwargs, method, config)


if __name__ == "__main__":
  launch.run(main)
