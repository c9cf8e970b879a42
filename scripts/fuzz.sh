#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a bounded time, one after another.
#   scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
# Each target starts from its seeds and past crashers in tests/fuzz/ and grows a working
# corpus in BUILD_DIR/fuzz-corpus/<name>; a crashing input is written to
# BUILD_DIR/fuzz-crashes/<name>/ (copy it into tests/fuzz/regressions/<name>/ with the fix).
# Any single allocation over 1 GiB counts as a crash: no input here is that large, so such
# an allocation is a size taken from a header without checking it against the file.
set -uo pipefail
build=$1
seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
if ((${#targets[@]} == 0)); then
  for source in "$root"/tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$source" .cpp)
    targets+=("${name#fuzz_}")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitize/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=0
printf '%-12s %12s %10s %8s\n' target executions exec/s crashes
for name in "${targets[@]}"; do
  binary=$build/tests/fuzz/fuzz_$name
  corpus=$build/fuzz-corpus/$name
  crashes=$build/fuzz-crashes/$name
  mkdir -p "$corpus" "$crashes"
  log=$build/fuzz-$name.log
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" "$root/tests/fuzz/corpus/$name" "$root/tests/fuzz/regressions/$name" >"$log" 2>&1
  status=$?
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  found=$(find "$crashes" -type f | wc -l)
  printf '%-12s %12s %10s %8s\n' "$name" "${executions:-?}" "${rate:-?}" "$found"
  if ((status != 0 || found != 0)); then
    failed=1
    echo "fuzz_$name: exit $status; see $log and $crashes/" >&2
  fi
done
exit $failed
