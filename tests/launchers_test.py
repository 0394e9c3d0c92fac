"""Every launcher end to end in a temp dir: smoke runs, bad input, crash resume.

Launchers run as subprocesses, exactly as a user types them.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time

from absl.testing import absltest
from absl.testing import parameterized

from tests import scratch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--num_episodes=2", "--eval_interval=1", "--num_eval_episodes=1",
        "--quiet"]


def _launch(module, *args, timeout=400):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO,
                        env=env, capture_output=True, text=True,
                        timeout=timeout, check=False)


def _rows(root):
  with open(os.path.join(root, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


def _error_lines(stderr):
  """stderr lines of our own (TF-Agents' gym notice aside)."""
  return [l for l in stderr.splitlines() if l.startswith("error:")
          or "Traceback" in l]


class LauncherSmokeTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("pg_escape_room", "launchers.pg_escape_room", []),
      ("pg_escape_room_32", "launchers.pg_escape_room",
       ["--num_agents=3", "--min_at_lever=2"]),
      ("pg_escape_room_asymmetric", "launchers.pg_escape_room",
       ["--asymmetric"]),
      ("pg_ipd", "launchers.pg_ipd", []),
      ("pg_d_escape_room", "launchers.pg_d_escape_room", []),
      ("pg_d_escape_room_32", "launchers.pg_d_escape_room",
       ["--num_agents=3", "--min_at_lever=2", "--give_value=1.5"]),
      ("lio_escape_room", "launchers.lio_escape_room", []),
      ("lio_escape_room_32", "launchers.lio_escape_room",
       ["--n_agents=3", "--m_required=2"]),
      ("lio_escape_room_one_episode", "launchers.lio_escape_room",
       ["--one_episode"]),
      ("lio_escape_room_asymmetric", "launchers.lio_escape_room",
       ["--asymmetric"]),
      ("lio_ipd", "launchers.lio_ipd", []),
      ("lio_dec_escape_room", "launchers.lio_dec_escape_room", []),
      ("pg_c_escape_room", "launchers.pg_c_escape_room", []),
      ("metagrad_escape_room", "launchers.metagrad_escape_room", []),
      ("dual_rl_escape_room", "launchers.dual_rl_escape_room", []),
      ("dual_rl_escape_room_continuous", "launchers.dual_rl_escape_room",
       ["--action_set=continuous", "--n_agents=10", "--m_required=5"]),
      ("metagrad_escape_room_ppo", "launchers.metagrad_escape_room",
       ["--n_agents=3", "--m_required=1", "--outer_objective=ppo",
        "--outer_epochs=2"]),
      ("ac_cleanup", "launchers.ac_cleanup", []),
      ("ac_cleanup_10x10_shared", "launchers.ac_cleanup",
       ["--map=cleanup_10x10_sym", "--share_parameters"]),
      ("cen_cleanup", "launchers.cen_cleanup", []),
      ("ac_d_cleanup", "launchers.ac_d_cleanup", []),
      ("ia_cleanup", "launchers.ia_cleanup", []),
      ("ac_harvest", "launchers.ac_harvest",
       ["--n_agents=2", "--neighbourhood=meltingpot", "--max_steps=20"]),
      ("aga_cleanup", "launchers.aga_cleanup", ["--alignment=100"]),
      ("aga_harvest_simul_co", "launchers.aga_harvest",
       ["--n_agents=2", "--max_steps=20", "--method=simul_co"]),
      ("ac_c_cleanup_10x10", "launchers.ac_c_cleanup",
       ["--map=cleanup_10x10_sym"]),
      ("lio_cleanup", "launchers.lio_cleanup", []),
      ("lio_cleanup_10x10", "launchers.lio_cleanup",
       ["--map=cleanup_10x10_sym", "--max_incentive=1"]),
      ("metagrad_cleanup", "launchers.metagrad_cleanup", []),
      ("dual_rl_cleanup_10x10", "launchers.dual_rl_cleanup",
       ["--map=cleanup_10x10_sym"]),
      ("train_generic", "launchers.train",
       ["--env=escape_room", "--method=pg", "--env_arg=random_start=true",
        "--hparam=hidden_sizes=8"]))
  def test_tiny_run_writes_the_file_contract(self, module, extra):
    root = scratch.make_dir(self)
    result = _launch(module, f"--root_dir={root}", *TINY, *extra)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    rows = _rows(root)
    self.assertEqual([r["episode"] for r in rows], [0, 1, 2])
    self.assertTrue(all(r["loss"] == r["loss"] for r in rows[1:]))  # Finite.
    with open(os.path.join(root, "summary.json")) as f:
      summary = json.load(f)
    self.assertEqual(summary["final"], rows[-1])
    self.assertIn("learning_rate", summary["identity"]["method_config"])
    self.assertEqual(summary["flags"]["root_dir"], root)
    self.assertEqual(summary["flags"]["num_episodes"], 2)

  @parameterized.named_parameters(
      ("iac_particle", "launchers.iac_particle", ["--scenario=cross"]),
      ("coma_particle", "launchers.coma_particle", ["--scenario=merge"]),
      ("qmix_particle", "launchers.qmix_particle", []),
      ("cm3_checkers_direct_greedy_eval", "launchers.cm3_checkers",
       ["--ablation=direct", "--greedy_eval_episodes=1"]),
      ("iac_checkers", "launchers.iac_checkers", []),
      ("coma_checkers", "launchers.coma_checkers", []),
      ("qmix_checkers", "launchers.qmix_checkers", []),
      ("cm3_sumo_direct", "launchers.cm3_sumo", ["--ablation=direct"]),
      ("iac_sumo_heavy_traffic", "launchers.iac_sumo", ["--config=C1"]),
      ("coma_sumo", "launchers.coma_sumo", []),
      ("qmix_sumo", "launchers.qmix_sumo", []))
  def test_multigoal_tiny_run(self, module, extra):
    root = scratch.make_dir(self)
    result = _launch(module, f"--root_dir={root}", *TINY,
                     "--episodes_per_iteration=1", "--max_steps=12", *extra)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertEqual([r["episode"] for r in _rows(root)], [0, 1, 2])
    greedy = "--greedy_eval_episodes=1" in extra
    self.assertEqual("greedy_return_mean" in _rows(root)[-1], greedy)

  @parameterized.named_parameters(
      ("hsd_sts2", "launchers.hsd_sts2", ["--hparam=decoder_batch=20"]),
      ("hsd_scripted_sts2", "launchers.hsd_scripted_sts2", []),
      ("qmix_sts2", "launchers.qmix_sts2", []),
      ("iql_sts2", "launchers.iql_sts2", []))
  def test_sts2_tiny_run(self, module, extra):
    root = scratch.make_dir(self)
    result = _launch(module, f"--root_dir={root}", *TINY, "--max_steps=20",
                     "--hparam=batch_size=8", "--hparam=replay_capacity=1000",
                     *extra)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    rows = _rows(root)
    self.assertEqual([r["episode"] for r in rows], [0, 1, 2])
    self.assertIn("win", rows[-1]["events"])

  def test_hsd_analysis_draws_panels_and_adhoc_table(self):
    root = scratch.make_dir(self)
    result = _launch("launchers.hsd_sts2", f"--root_dir={root}", *TINY,
                     "--max_steps=20", "--hparam=batch_size=8",
                     "--hparam=replay_capacity=1000")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    out = scratch.make_dir(self)
    result = _launch("launchers.hsd_analysis", f"--root_dir={root}",
                     f"--out_dir={out}", "--num_episodes=2",
                     "--adhoc_episodes=1")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertIn("2 scripted", result.stdout)
    self.assertIn("1 defensive", result.stdout)
    self.assertTrue(os.path.exists(os.path.join(out, "g_heatmaps.png")))
    with open(os.path.join(out, "analysis.json")) as f:
      report = json.load(f)
    self.assertEqual(len(report["events"]), 4)
    self.assertEqual(len(report["adhoc"]["hsd"]["1 scripted"]), 1)

  def test_parallel_training_environments(self):
    root = scratch.make_dir(self)
    result = _launch("launchers.iac_particle", f"--root_dir={root}",
                     "--num_episodes=4", "--eval_interval=2",
                     "--num_eval_episodes=1", "--quiet",
                     "--episodes_per_iteration=2", "--max_steps=12",
                     "--parallel_envs=2")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    rows = _rows(root)
    self.assertEqual([r["episode"] for r in rows], [0, 2, 4])
    self.assertEqual(rows[-1]["env_steps"], 4 * 12)

  def test_cm3_stage2_starts_from_stage1(self):
    stage1, stage2 = scratch.make_dir(self), scratch.make_dir(self)
    common = [*TINY, "--episodes_per_iteration=1", "--max_steps=12"]
    result = _launch("launchers.cm3_particle", f"--root_dir={stage1}",
                     "--stage=1", *common)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    for name, extra in (("cm3", []), ("qv", ["--ablation=qv"])):
      root = os.path.join(stage2, name)
      result = _launch("launchers.cm3_particle", f"--root_dir={root}",
                       f"--stage1_dir={stage1}", "--scenario=cross", *common,
                       *extra)
      self.assertEqual(result.returncode, 0, result.stderr[-2000:])
      with open(os.path.join(root, "summary.json")) as f:
        config = json.load(f)["identity"]["method_config"]
      self.assertEqual(config["stage1_dir"], stage1)
      self.assertEqual(config["stage"], 2)
    out = os.path.join(stage2, "baselines.json")
    result = _launch("launchers.cm3_baselines", f"--run=CM3={stage2}/cm3",
                     f"--run=QV={stage2}/qv", "--num_episodes=1",
                     f"--out={out}")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    with open(out) as f:
      report = json.load(f)
    self.assertEqual(report["CM3"]["advantage"], "credit")
    self.assertEqual(report["QV"]["advantage"], "qv")
    self.assertEqual(report["QV"]["states"], 12)
    self.assertGreaterEqual(report["CM3"]["baseline_rms_error"], 0.0)
    result = _launch("launchers.cm3_baselines", f"--run={stage1}")
    self.assertEqual(result.returncode, 2, result.stderr[-2000:])
    self.assertLen(_error_lines(result.stderr), 1, result.stderr)

  def test_evaluate_sumo_tabulates_test_configurations(self):
    root = scratch.make_dir(self)
    result = _launch("launchers.iac_sumo", f"--root_dir={root}", *TINY,
                     "--episodes_per_iteration=1", "--max_steps=8")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    out = os.path.join(root, "table.json")
    result = _launch("launchers.evaluate_sumo", f"--run=IAC={root}",
                     "--config=C1", "--config=C4", "--episodes=1",
                     f"--out={out}")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    with open(out) as f:
      table = json.load(f)["table"]
    self.assertEqual(sorted(table), ["C1", "C4"])
    self.assertEqual(list(table["C1"]), ["IAC"])
    result = _launch("launchers.evaluate_sumo", f"--run=IAC={root}",
                     "--scripted", "--config=train", "--episodes=1",
                     f"--out={out}")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    with open(out) as f:
      self.assertEqual(list(json.load(f)["table"]["train"]),
                       ["IAC", "selfish"])
    for bad in (("--run=IAC",), ()):
      result = _launch("launchers.evaluate_sumo", *bad)
      self.assertEqual(result.returncode, 2, result.stderr[-2000:])
      self.assertLen(_error_lines(result.stderr), 1, result.stderr)

  def test_record_plays_a_multigoal_run(self):
    root = scratch.make_dir(self)
    self.assertEqual(_launch("launchers.iac_checkers", f"--root_dir={root}",
                             *TINY, "--episodes_per_iteration=1",
                             "--max_steps=5").returncode, 0)
    for mode in ("--nogreedy", "--greedy"):
      result = _launch("launchers.record", f"--root_dir={root}", mode)
      self.assertEqual(result.returncode, 0, result.stderr[-2000:])

  def test_record_restores_the_agent_and_writes_a_gif(self):
    root = scratch.make_dir(self)
    self.assertEqual(_launch("launchers.pg_escape_room", f"--root_dir={root}",
                             *TINY).returncode, 0)
    out = os.path.join(root, "play.gif")
    result = _launch("launchers.record", f"--root_dir={root}", f"--out={out}",
                     "--episodes=2")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertLen([l for l in result.stdout.splitlines()
                    if l.startswith("episode ")], 2)
    with open(out, "rb") as f:
      self.assertEqual(f.read(6), b"GIF89a")

  def test_plot(self):
    root = scratch.make_dir(self)
    runs = [os.path.join(root, f"s{s}") for s in range(2)]
    for s, run in enumerate(runs):
      self.assertEqual(_launch("launchers.pg_ipd", f"--root_dir={run}",
                               f"--seed={s}", *TINY).returncode, 0)
    out = os.path.join(root, "curve.png")
    result = _launch("launchers.plot", f"--group=PG={root}/s*",
                     "--metric=return_per_agent.1", f"--out={out}",
                     "--smooth=2")
    self.assertEqual(result.returncode, 0, result.stderr)
    with open(out, "rb") as f:
      self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
    bad = _launch("launchers.plot", f"--group=PG={root}/nothing*")
    self.assertEqual(bad.returncode, 2)


class PlotSmoothingTest(absltest.TestCase):

  def test_trailing_mean_skips_nan(self):
    from launchers import plot  # pylint: disable=g-import-not-at-top
    curve = {0: 1.0, 10: 3.0, 20: float("nan"), 30: 5.0}
    self.assertEqual(plot.smooth(curve, 2), {0: 1.0, 10: 2.0, 20: 3.0,
                                             30: 5.0})
    unsmoothed = plot.smooth(curve, 1)
    self.assertTrue(math.isnan(unsmoothed.pop(20)))
    self.assertEqual(unsmoothed, {0: 1.0, 10: 3.0, 30: 5.0})


class AgaLauncherTest(absltest.TestCase):

  def test_public_goods_prints_and_writes_the_table(self):
    out = os.path.join(scratch.make_dir(self), "table.json")
    result = _launch("launchers.aga_public_goods", "--runs=3", "--steps=5",
                     "--methods=simul_ind,aga", f"--out={out}")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertIn("Equality", result.stdout)
    with open(out) as f:
      table = json.load(f)["table"]
    self.assertEqual(sorted(table), ["aga", "simul_ind"])
    self.assertLen(table["aga"]["SW"], 2)

  def test_toy_game_prints_steps_and_draws(self):
    out = os.path.join(scratch.make_dir(self), "toy.png")
    result = _launch("launchers.aga_toy_game", "--steps=5",
                     "--methods=simul_co,aga", f"--out={out}")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertIn("steps to optimum", result.stdout)
    with open(out, "rb") as f:
      self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

  def test_bad_input_one_line_and_exit_2(self):
    for module, args in (("launchers.aga_public_goods", ["--runs=0"]),
                         ("launchers.aga_public_goods", ["--methods=lola"]),
                         ("launchers.aga_toy_game", ["--start=a,b"])):
      result = _launch(module, *args)
      self.assertEqual(result.returncode, 2, result.stderr[-2000:])
      self.assertLen(_error_lines(result.stderr), 1, result.stderr)


class BenchmarkSmokeTest(absltest.TestCase):

  def test_env_throughput_prints_ratios(self):
    result = _launch("benchmarks.env_throughput", "--steps=50", "--repeats=1",
                     "--batch=2")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    rows = [l for l in result.stdout.splitlines() if l.startswith(("escape",
                                                                   "ipd"))]
    self.assertLen(rows, 6)
    self.assertGreater(float(rows[0].split()[-1]), 0.0)

  def test_sumo_speed_prints_both_parallel_layouts(self):
    result = _launch("benchmarks.sumo_speed", "--steps=20", "--repeats=1")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    for text in ("libsumo / traci", "every env in a worker",
                 "env 0 here", "independent processes"):
      self.assertIn(text, result.stdout)

  def test_hsd_cost_prints_every_ratio(self):
    result = _launch("benchmarks.hsd_cost", "--iterations=1", "--warmup=1",
                     "--updates=2")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    for label in ("iql_team", "qmix_team", "hsd high", "hsd low"):
      self.assertIn(label, result.stdout)

  def test_aga_cost_prints_every_ratio(self):
    result = _launch("benchmarks.aga_cost", "--calls=2", "--repeats=1",
                     "--batch=8", "--cleanup", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    ratios = [l for l in result.stdout.splitlines() if "x" in l and "/" in l]
    self.assertLen(ratios, 5)   # Four ratios and the floor of the first.

  def test_reproduce_lio_tabulates_quick_runs(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_lio", f"--out_dir={out}",
                     "--experiment=er21", "--method=lio", "--seeds=0",
                     "--num_episodes=2", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    row = [l for l in result.stdout.splitlines() if l.startswith("er21")]
    self.assertLen(row, 1)
    self.assertEqual(row[0].split()[:3], ["er21", "lio", "1"])
    for figure in ("er21.png", "er21_incentives.png"):
      self.assertTrue(os.path.exists(os.path.join(out, figure)), figure)

  def test_reproduce_reports_a_failed_run_and_exits_1(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_lio", f"--out_dir={out}",
                     "--experiment=er21", "--method=pg", "--seeds=0",
                     "--num_episodes=2", "--launcher_flag=--no_such_flag=1",
                     timeout=600)
    self.assertEqual(result.returncode, 1, result.stderr[-2000:])
    self.assertNotIn("Traceback", result.stderr)
    root = os.path.join(out, "er21_pg_s0")
    self.assertIn(f"run failed: {root}", result.stderr)
    self.assertIn("no_such_flag", result.stderr)   # The launcher's line.
    self.assertIn("1 failed run(s)", result.stdout)

  def test_reproduce_cleanup_draws_cleaner_and_harvester(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_cleanup", f"--out_dir={out}",
                     "--experiment=cleanup7", "--method=lio", "--method=ac",
                     "--seeds=0", "--num_episodes=2", "--jobs=2",
                     "--launcher_flag=--epsilon_episodes=7", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    with open(os.path.join(out, "cleanup7_lio_s0", "experiment.json"),
              encoding="utf-8") as f:
      self.assertEqual(json.load(f)["method_config"]["epsilon_episodes"], 7)
    rows = [l.split() for l in result.stdout.splitlines()
            if l.startswith("cleanup7")]
    self.assertEqual([r[:3] for r in rows[:2]], [["cleanup7", "lio", "1"],
                                                 ["cleanup7", "ac", "1"]])
    self.assertEqual(rows[0][-4:-2], ["-", "-"])   # No known optimum.
    self.assertIn("outcome.cleaner_share (mean of the last 10 evaluations)",
                  result.stdout)
    for figure in ("cleanup7.png", "cleanup7_incentives.png",
                   "cleanup7_outcome_cleaner_share.png"):
      self.assertTrue(os.path.exists(os.path.join(out, figure)), figure)

  def test_reproduce_aga_ssd_tabulates_return_equality_sustainability(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_aga_ssd", f"--out_dir={out}",
                     "--experiment=cleanup7", "--method=simul_ind",
                     "--method=aga_100", "--seeds=0", "--num_episodes=2",
                     "--jobs=2", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    rows = [l.split() for l in result.stdout.splitlines()
            if l.startswith("cleanup7")]
    self.assertEqual([r[:2] for r in rows],
                     [["cleanup7", "simul_ind"], ["cleanup7", "aga_100"]] * 3)
    for figure in ("cleanup7.png", "cleanup7_outcome_equality.png",
                   "cleanup7_outcome_sustainability.png"):
      self.assertTrue(os.path.exists(os.path.join(out, figure)), figure)

  def test_reproduce_cm3_runs_stage1_first(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_cm3", f"--out_dir={out}",
                     "--experiment=merge", "--method=cm3", "--method=iac",
                     "--seeds=0", "--num_episodes=2", "--stage1_episodes=2",
                     "--jobs=2", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertTrue(os.path.exists(os.path.join(
        out, "particle_stage1_s0", "summary.json")))
    rows = [l.split() for l in result.stdout.splitlines()
            if l.startswith("merge")]
    self.assertEqual([r[:2] for r in rows],
                     [["merge", "cm3"], ["merge", "iac"]] * 2)
    self.assertTrue(os.path.exists(os.path.join(out, "merge.png")))

  def test_reproduce_hsd_tabulates_win_rate(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_hsd", f"--out_dir={out}",
                     "--method=iql", "--seeds=0", "--num_episodes=1",
                     timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    rows = [l.split()[:2] for l in result.stdout.splitlines()
            if l.startswith("sts2")]
    self.assertIn(["sts2", "iql"], rows)
    self.assertTrue(os.path.exists(os.path.join(out, "sts2.png")))
    # A larger --num_episodes extends the finished run instead of reusing it.
    root = os.path.join(out, "sts2_iql_s0")
    rows_before = _rows(root)
    result = _launch("benchmarks.reproduce_hsd", f"--out_dir={out}",
                     "--method=iql", "--seeds=0", "--num_episodes=2",
                     "--eval_interval=1", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    with open(os.path.join(root, "summary.json"), encoding="utf-8") as f:
      self.assertEqual(json.load(f)["episodes"], 2)
    rows_after = _rows(root)
    self.assertEqual(rows_after[:len(rows_before)], rows_before)
    self.assertEqual(rows_after[-1]["episode"], 2)

  def test_reproduce_metagrad_draws_cooperator_and_winner(self):
    out = scratch.make_dir(self)
    result = _launch("benchmarks.reproduce_metagrad", f"--out_dir={out}",
                     "--experiment=er21", "--method=metagrad", "--seeds=0",
                     "--num_episodes=2", timeout=600)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    row = [l for l in result.stdout.splitlines() if l.startswith("er21")]
    self.assertEqual(row[0].split()[:3], ["er21", "metagrad", "1"])
    for figure in ("er21.png", "er21_incentives.png"):
      self.assertTrue(os.path.exists(os.path.join(out, figure)), figure)
    figure = os.path.join(out, "fig.png")
    result = _launch("benchmarks.figure_6_1", f"--run_dirs={out}",
                     f"--figure={figure}")
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    self.assertTrue(os.path.exists(figure))
    empty = _launch("benchmarks.figure_6_1", f"--run_dirs={out}/nothing")
    self.assertEqual(empty.returncode, 2)

  def test_reproduce_lio_rejects_bad_counts_in_one_line(self):
    for bad in ("--jobs=0", "--eval_interval=-1", "--launcher_flag=seed"):
      result = _launch("benchmarks.reproduce_lio", bad)
      self.assertEqual(result.returncode, 2, result.stderr[-2000:])
      self.assertLen(_error_lines(result.stderr), 1, result.stderr)


class BadInputTest(parameterized.TestCase):

  @parameterized.named_parameters(
      ("m_not_below_n", "launchers.pg_escape_room", ["--min_at_lever=2"]),
      ("zero_episodes", "launchers.pg_ipd", ["--num_episodes=0"]),
      ("negative_eval", "launchers.pg_ipd", ["--num_eval_episodes=-1"]),
      ("negative_greedy_eval", "launchers.pg_ipd",
       ["--greedy_eval_episodes=-1"]),
      ("greedy_eval_of_incentives", "launchers.lio_ipd",
       ["--greedy_eval_episodes=1"]),
      ("unknown_flag", "launchers.pg_ipd", ["--colour=red"]),
      ("bad_hidden", "launchers.pg_ipd", ["--hidden_sizes=a"]),
      ("bad_device", "launchers.pg_ipd", ["--device=tpu"]),
      ("bad_lr", "launchers.pg_ipd", ["--learning_rate=-1"]),
      ("pg_d_zero_give_value", "launchers.pg_d_escape_room",
       ["--give_value=0"]),
      ("metagrad_bad_objective", "launchers.metagrad_escape_room",
       ["--outer_objective=trpo"]),
      ("metagrad_bad_epochs", "launchers.metagrad_escape_room",
       ["--outer_epochs=0"]),
      ("dual_rl_bad_action_set", "launchers.dual_rl_escape_room",
       ["--action_set=huge"]),
      ("ac_cleanup_bad_map", "launchers.ac_cleanup", ["--map=maze"]),
      ("ac_cleanup_too_many_agents", "launchers.ac_cleanup",
       ["--n_agents=3"]),
      ("ac_cleanup_bad_tau", "launchers.ac_cleanup",
       ["--target_update_rate=0"]),
      ("lio_cleanup_bad_cost", "launchers.lio_cleanup", ["--cost_coeff=-1"]),
      ("metagrad_cleanup_bad_clip", "launchers.metagrad_cleanup",
       ["--ppo_clip=0"]),
      ("dual_rl_cleanup_bad_lambda", "launchers.dual_rl_cleanup",
       ["--gae_lambda=2"]),
      ("ac_harvest_too_many_agents", "launchers.ac_harvest",
       ["--n_agents=21"]),
      ("aga_cleanup_bad_method", "launchers.aga_cleanup", ["--method=sga"]),
      ("aga_harvest_nan_alignment", "launchers.aga_harvest",
       ["--alignment=nan"]),
      ("ia_cleanup_bad_smoothing", "launchers.ia_cleanup",
       ["--smoothing=2"]),
      ("ac_d_cleanup_bad_give_value", "launchers.ac_d_cleanup",
       ["--give_value=0"]),
      ("ac_c_cleanup_bad_give_cost", "launchers.ac_c_cleanup",
       ["--give_cost=-1"]),
      ("cm3_stage2_without_stage1", "launchers.cm3_particle", []),
      ("cm3_bad_stage", "launchers.cm3_checkers", ["--stage=3"]),
      ("cm3_stage1_ablation", "launchers.cm3_particle",
       ["--stage=1", "--ablation=qv"]),
      ("cm3_missing_stage1_run", "launchers.cm3_particle",
       ["--stage1_dir=/nonexistent"]),
      ("qmix_unknown_hparam", "launchers.qmix_particle",
       ["--hparam=mixer_size=3"]),
      ("iac_bad_hparam_value", "launchers.iac_checkers",
       ["--hparam=batch_size=0"]),
      ("pg_parallel_envs", "launchers.pg_ipd", ["--parallel_envs=2"]),
      ("sumo_libsumo_in_one_process", "launchers.iac_sumo",
       ["--backend=libsumo"]),
      ("hsd_bad_skill_reward", "launchers.hsd_sts2",
       ["--hparam=skill_reward=oracle"]),
      ("hsd_analysis_no_run", "launchers.hsd_analysis",
       []),
      ("unknown_env", "launchers.train", ["--env=chess", "--method=pg"]),
      ("unknown_method", "launchers.train", ["--env=ipd", "--method=dqn"]),
      ("unknown_env_arg", "launchers.train",
       ["--env=ipd", "--method=pg", "--env_arg=size=3"]),
      ("record_no_run", "launchers.record", []),
      ("no_root_dir", "launchers.pg_ipd", None))
  def test_one_line_and_exit_2(self, module, extra):
    args = ["--num_episodes=1"] + (
        extra if extra is not None else ["--root_dir="])
    if extra is not None:
      args.insert(0, f"--root_dir={scratch.make_dir(self)}/run")
    result = _launch(module, *args)
    self.assertEqual(result.returncode, 2, result.stderr[-2000:])
    self.assertLen(_error_lines(result.stderr), 1, result.stderr)

  def test_unwritable_root_dir(self):
    parent = scratch.make_dir(self)
    blocker = os.path.join(parent, "file")
    open(blocker, "w").close()
    result = _launch("launchers.pg_ipd", f"--root_dir={blocker}/run", *TINY)
    self.assertEqual(result.returncode, 2)
    self.assertIn("cannot write", result.stderr)

  def test_other_experiment_in_root_dir_is_untouched(self):
    root = scratch.make_dir(self)
    self.assertEqual(_launch("launchers.pg_ipd", f"--root_dir={root}",
                             *TINY).returncode, 0)
    before = open(os.path.join(root, "metrics.jsonl")).read()
    result = _launch("launchers.pg_escape_room", f"--root_dir={root}", *TINY)
    self.assertEqual(result.returncode, 2)
    self.assertIn("different experiment", result.stderr)
    self.assertEqual(open(os.path.join(root, "metrics.jsonl")).read(), before)


class CrashResumeTest(absltest.TestCase):

  def test_killed_run_resumes_without_losing_or_duplicating_rows(self):
    args = ["--num_episodes=400", "--eval_interval=40",
            "--num_eval_episodes=2", "--quiet", "--seed=3"]
    reference = scratch.make_dir(self)
    self.assertEqual(_launch("launchers.pg_escape_room",
                             f"--root_dir={reference}", *args).returncode, 0)
    root = scratch.make_dir(self)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "launchers.pg_escape_room",
         f"--root_dir={root}", *args], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = os.path.join(root, "metrics.jsonl")
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
      if os.path.exists(metrics) and len(_rows(metrics[:-14])) >= 3:
        break
      time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_rows = len(_rows(root))
    result = _launch("launchers.pg_escape_room", f"--root_dir={root}", *args)
    self.assertEqual(result.returncode, 0, result.stderr[-2000:])
    strip = lambda rows: [{k: v for k, v in r.items() if k != "wall_s"}
                          for r in rows]
    self.assertLess(killed_rows, 11)
    self.assertEqual(strip(_rows(root)), strip(_rows(reference)))


if __name__ == "__main__":
  absltest.main()
