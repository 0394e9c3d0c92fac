"""Every module has its Bazel target, so a missing target fails the suite.

Reads the source tree itself (found through tests/BUILD, a symlink in Bazel's
runfiles), not the runfiles, which hold only declared files; the BUILD target
is tagged "external" so Bazel never caches this test. No TensorFlow import.
"""

import glob
import os
import re

from absl.testing import absltest

PACKAGES = ("benchmarks", "environments", "launchers", "mmagents", "tests")
_RULE = re.compile(r"^(\w+)\(\n(.*?)^\)", re.M | re.S)
_MAIN_BLOCK = re.compile(r"^if __name__ == .__main__.:", re.M)
_RUN_MODULE = re.compile(r"[\"'](launchers|benchmarks)\.(\w+)[\"']")


def _repo() -> str:
  here = os.path.dirname(os.path.abspath(__file__))
  return os.path.dirname(os.path.dirname(
      os.path.realpath(os.path.join(here, "BUILD"))))


def _rules(package_dir: str) -> dict:
  """Maps target name to (rule kind, rule body) for one BUILD file."""
  with open(os.path.join(package_dir, "BUILD")) as f:
    text = f.read()
  rules = {}
  for kind, body in _RULE.findall(text):
    name = re.search(r'\bname = "([^"]+)"', body)
    if name:
      rules[name.group(1)] = (kind, body)
  return rules


def _modules(package_dir: str) -> list:
  return sorted(os.path.basename(p)[:-3]
                for p in glob.glob(os.path.join(package_dir, "*.py"))
                if not p.endswith("__init__.py"))


class BuildFilesTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.repo = _repo()

  def test_every_test_file_is_a_py_test(self):
    tests_dir = os.path.join(self.repo, "tests")
    rules = _rules(tests_dir)
    tests = [m for m in _modules(tests_dir) if m.endswith("_test")]
    self.assertIn("build_files_test", tests)
    missing = [t for t in tests if rules.get(t, ("", ""))[0] != "py_test"
               or f'main = "{t}.py"' not in rules[t][1]]
    self.assertEqual(missing, [], "tests/BUILD lacks these py_test targets "
                     "(name = file stem, main = the file)")

  def test_tests_declare_the_programs_they_run(self):
    """A test that runs `python -m launchers.x` needs //launchers:x as data."""
    tests_dir = os.path.join(self.repo, "tests")
    rules = _rules(tests_dir)
    missing = []
    for test in [m for m in _modules(tests_dir) if m.endswith("_test")]:
      with open(os.path.join(tests_dir, test + ".py")) as f:
        programs = set(_RUN_MODULE.findall(f.read()))
      body = rules.get(test, ("", ""))[1]
      missing += [f"{test}: //{package}:{name}"
                  for package, name in sorted(programs)
                  if f'"//{package}:{name}"' not in body]
    self.assertEqual(missing, [], "tests/BUILD data lacks these programs")

  def test_every_launcher_is_a_py_binary(self):
    launchers_dir = os.path.join(self.repo, "launchers")
    rules = _rules(launchers_dir)
    launchers = []
    for module in _modules(launchers_dir):
      with open(os.path.join(launchers_dir, module + ".py")) as f:
        if _MAIN_BLOCK.search(f.read()):  # Helpers (common.py) are libraries.
          launchers.append(module)
    self.assertIn("pg_escape_room", launchers)
    missing = [m for m in launchers
               if rules.get(m, ("", ""))[0] != "py_binary"]
    self.assertEqual(missing, [], "launchers/BUILD lacks these py_binary")

  def test_every_module_is_in_a_build_file(self):
    missing = []
    for top in PACKAGES:
      for package_dir, dirs, _ in os.walk(os.path.join(self.repo, top)):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        if not os.path.exists(os.path.join(package_dir, "__init__.py")):
          continue
        package = os.path.relpath(package_dir, self.repo)
        build = os.path.join(package_dir, "BUILD")
        if not os.path.exists(build):
          missing.append(f"{package}/BUILD")
          continue
        with open(build) as f:
          text = f.read()
        if 'glob(["*.py"]' in text:
          continue
        missing += [f"{package}/{m}.py"
                    for m in _modules(package_dir) + ["__init__"]
                    if f'"{m}.py"' not in text]
    self.assertEqual(missing, [], "no BUILD target lists these files")


if __name__ == "__main__":
  absltest.main()
