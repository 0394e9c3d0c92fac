r"""Records a trained run's evaluation policy as an animated GIF.

Rebuilds the environment and agent named in the run's experiment.json,
restores the latest checkpoint and plays ``--episodes`` episodes with the
evaluation policy (no exploration), writing every frame of
``env.render()``.

  python -m launchers.record --root_dir=runs/lio_cleanup7 \
      --out=runs/lio_cleanup7/episode.gif

Prints each episode's per-agent returns and event counters. ``--greedy``
plays the policy's mode instead (each agent's most probable action).
"""

import os

from absl import flags
import numpy as np

from mmagents.core import launch

flags.DEFINE_string("root_dir", None, "A run directory of any launcher.")
flags.DEFINE_string("out", "", "GIF path (default: root_dir/episode.gif).")
flags.DEFINE_integer("episodes", 1, "Episodes to record.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the recorded environment.")
flags.DEFINE_float("fps", 8.0, "Frames per second.", lower_bound=0.1)
flags.DEFINE_bool("greedy", False, "Play the policy's mode, not samples.")
flags.mark_flag_as_required("root_dir")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  from tf_agents.policies import py_tf_eager_policy  # pylint: disable=g-import-not-at-top
  from environments import rendering  # pylint: disable=g-import-not-at-top
  from mmagents.core import restore  # pylint: disable=g-import-not-at-top
  agent, make_env = restore.load_agent(FLAGS.root_dir)
  with launch.bad_input():
    tf_policy = agent.greedy_policy() if FLAGS.greedy else agent.policy
  env = make_env(FLAGS.seed)
  policy = py_tf_eager_policy.PyTFEagerPolicy(tf_policy,
                                              use_tf_function=True,
                                              batch_time_steps=True)
  frames = []
  for episode in range(FLAGS.episodes):
    step = env.reset()
    state = policy.get_initial_state(1)
    frames.append(env.render())
    total = np.zeros(env.num_agents)
    while not step.is_last():
      out = policy.action(step, state)
      state = out.state
      step = env.step(out.action)
      total += step.reward
      frames.append(env.render())
    events = {k: np.asarray(v).tolist()
              for k, v in env.last_episode_events.items()}
    print(f"episode {episode}: returns {np.round(total, 2).tolist()} "
          f"events {events}")
  out = FLAGS.out or os.path.join(FLAGS.root_dir, "episode.gif")
  rendering.write_gif(frames, out, FLAGS.fps)
  print(f"wrote {out} ({len(frames)} frames)")


if __name__ == "__main__":
  launch.run(main)
