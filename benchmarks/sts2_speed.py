r"""STS2 speed and calibration against the public simulator's known figures.

* Environment steps/s of `TeamSports` (3v3, observations and state built,
  uniformly random actions drawn beforehand), process CPU time.
* Scripted vs scripted (`game.Game`, all players SimplePlayer): ticks per
  goal and the fraction of shots that score (public STS2: about 140 and 47%).
* Random agents vs the scripted team over ``--episodes`` HSD episodes: win,
  loss and draw rates and mean length (public STS2: win 6%, lose 94%, 143
  steps).

  python -m benchmarks.sts2_speed --steps=20000 --ticks=200000 --episodes=200
"""

from __future__ import annotations

import sys
import time

from absl import app
from absl import flags
import numpy as np

from benchmarks import bench_lib

FLAGS = flags.FLAGS


def env_steps_per_s(steps: int, num_players: int = 3, seed: int = 0) -> float:
  """CPU-time steps/s of `TeamSports` with random actions."""
  from environments.sts2 import team_sports  # pylint: disable=g-import-not-at-top
  env = team_sports.TeamSports(num_players=num_players, seed=seed)
  return bench_lib.random_steps_per_s(
      env, team_sports.num_actions(num_players), steps, seed)


def scripted_calibration(ticks: int, num_players: int = 3, seed: int = 0,
                         stall_ticks: int = 1000, **rule_kwargs) -> dict:
  """Scripted vs scripted: ticks per goal, shot conversion, ticks/s.

  The rules allow jams (a carrier pinned at the boards behind a teammate,
  chased by opponents who never reach it); after `stall_ticks` without a
  goal the game restarts and the stalled ticks are left out of the rate.
  """
  from environments.sts2 import game  # pylint: disable=g-import-not-at-top
  sim = game.Game(num_players, game.Rules(**rule_kwargs),
                  rng=np.random.default_rng(seed))
  sim.kickoff()
  shots = goals = stalls = stalled_ticks = since_goal = 0
  start = time.process_time()
  for _ in range(ticks):
    since_goal += 1
    for event in sim.tick():
      if event.kind == "shot":
        shots += 1
        if event.result == "goal":
          goals += 1
          since_goal = 0
    if since_goal >= stall_ticks:
      stalls += 1
      stalled_ticks += since_goal
      since_goal = 0
      sim.kickoff()
  seconds = time.process_time() - start
  return {"ticks_per_goal": (ticks - stalled_ticks) / max(goals, 1),
          "shot_conversion": goals / max(shots, 1), "stalls": stalls,
          "goals": goals, "shots": shots, "ticks_per_s": ticks / seconds}


def random_vs_scripted(episodes: int, num_players: int = 3, seed: int = 0
                       ) -> dict:
  """Random agents vs the scripted team: win/loss/draw rates, mean length."""
  from environments.sts2 import team_sports  # pylint: disable=g-import-not-at-top
  env = team_sports.TeamSports(num_players=num_players, seed=seed)
  rng = np.random.default_rng(seed + 1)
  size = team_sports.num_actions(num_players)
  wins = losses = length = 0
  for _ in range(episodes):
    step = env.reset()
    while not step.is_last():
      row = rng.integers(0, size, num_players).astype(np.int32)
      step = env.step(dict(zip(env.agent_ids, row)))
      length += 1
    events = env.last_episode_events
    wins += int(events["goals_for"] > 0)
    losses += int(events["goals_against"] > 0)
  return {"win": wins / episodes, "loss": losses / episodes,
          "draw": (episodes - wins - losses) / episodes,
          "mean_length": length / episodes}


def _define_flags() -> None:
  """Defined when run as a program only, so tests can import the module."""
  flags.DEFINE_integer("steps", 20_000, "Timed environment steps.")
  flags.DEFINE_integer("ticks", 200_000, "Scripted-vs-scripted ticks.")
  flags.DEFINE_integer("episodes", 200, "Random-vs-scripted episodes.")
  flags.DEFINE_integer("seed", 0, "Seed.")


def main(argv):
  del argv
  if min(FLAGS.steps, FLAGS.ticks, FLAGS.episodes) < 1:
    print("--steps, --ticks and --episodes must be >= 1", file=sys.stderr)
    sys.exit(2)
  print(f"TeamSports 3v3 random actions: "
        f"{env_steps_per_s(FLAGS.steps, seed=FLAGS.seed):.0f} steps/s")
  for inverted in (False, True):
    cal = scripted_calibration(FLAGS.ticks, seed=FLAGS.seed,
                               inverted_interception=inverted)
    print(f"scripted vs scripted (inverted_interception={inverted}): "
          f"{cal['ticks_per_goal']:.1f} ticks/goal (known ~140), "
          f"{100 * cal['shot_conversion']:.1f}% of {cal['shots']} shots "
          f"score (known ~47%), {cal['stalls']} stalls restarted, "
          f"{cal['ticks_per_s']:.0f} ticks/s")
  res = random_vs_scripted(FLAGS.episodes, seed=FLAGS.seed)
  print(f"random vs scripted over {FLAGS.episodes} episodes: win "
        f"{100 * res['win']:.1f}% (known 6%), loss {100 * res['loss']:.1f}% "
        f"(known 94%), draw {100 * res['draw']:.1f}%, mean length "
        f"{res['mean_length']:.1f} (known 143)")


if __name__ == "__main__":
  _define_flags()
  app.run(main)
