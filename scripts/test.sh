#!/usr/bin/env bash
# Builds kumi twice -- normally with warnings as errors, and with
# AddressSanitizer + UndefinedBehaviorSanitizer -- and runs every test in
# both: unit tests, the examples, and the conformance suites of
# ../shared/conformance when that folder is present. Then replays the fuzz
# regressions and fuzzes each decoder target briefly (scripts/fuzz.sh).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)
status=0
for variant in normal sanitize; do
  dir=build-test-$variant
  flags=(-DKUMI_WERROR=ON)
  [ $variant = sanitize ] && flags+=(-DKUMI_SANITIZE=ON)
  echo "== $variant build"
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $variant tests"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$dir" -j"$jobs" --output-on-failure || status=1
done
echo "== fuzz"
scripts/fuzz.sh "${KUMI_FUZZ_SECONDS:-15}" || status=1
exit $status
