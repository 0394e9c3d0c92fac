"""Turns `bazel test` output into the closing line `N passed, N failed`.

Reads Bazel's per-target result lines (`//tests:foo_test  PASSED in 3.2s`,
`FAILED`, `TIMEOUT`, `FLAKY`, `NO STATUS`, `FAILED TO BUILD`) from stdin,
echoes everything, prints the summary last and exits 1 if any target failed
or none ran.
"""

import re
import sys

_RESULT = re.compile(r"^(//\S+)\s+(\(cached\) )?(PASSED|FAILED TO BUILD|FAILED|"
                     r"TIMEOUT|FLAKY|NO STATUS|INCOMPLETE|SKIPPED)\b")


def main() -> int:
  passed = failed = 0
  for line in sys.stdin:
    sys.stdout.write(line)
    match = _RESULT.match(line.strip())
    if match:
      if match.group(3) == "PASSED":
        passed += 1
      else:
        failed += 1
  sys.stdout.flush()
  print(f"{passed} passed, {failed} failed")
  return 0 if passed and not failed else 1


if __name__ == "__main__":
  sys.exit(main())
