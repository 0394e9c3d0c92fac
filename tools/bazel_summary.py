"""Turns `bazel test` output into the closing line `N passed, N failed`.

Reads Bazel's per-target result lines (`//tests:foo_test  PASSED in 3.2s`,
`(cached) PASSED`, `FAILED`, `TIMEOUT`, `FLAKY`, `NO STATUS`,
`FAILED TO BUILD`) from stdin and echoes everything. Prints the summary last
and exits 1 if any target failed or none ran. N counts test targets (a
sharded target counts once); a label seen twice keeps its last status.

Arguments, if any, are the expected test labels (`bazel query 'tests(//...)'`):
one with no result line (a BUILD error under --keep_going) counts as failed.

  bazel test //... 2>&1 | python tools/bazel_summary.py //tests:a_test ...
"""

import re
import sys

_RESULT = re.compile(r"^(//\S+)\s+(?:\(cached\) )?(PASSED|FAILED TO BUILD|"
                     r"FAILED|TIMEOUT|FLAKY|NO STATUS|INCOMPLETE|SKIPPED)\b")


def main() -> int:
  status = {}
  for line in sys.stdin:
    sys.stdout.write(line)
    match = _RESULT.match(line.strip())
    if match:
      status[match.group(1)] = match.group(2)
  for label in sys.argv[1:]:
    if label not in status:
      print(f"{label}  NO STATUS (did not build or run)")
      status[label] = "NO STATUS"
  passed = sum(s == "PASSED" for s in status.values())
  failed = len(status) - passed
  sys.stdout.flush()
  print(f"{passed} passed, {failed} failed")
  return 0 if passed and not failed else 1


if __name__ == "__main__":
  sys.exit(main())
