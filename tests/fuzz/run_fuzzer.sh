#!/usr/bin/env bash
# Runs one fuzz target on its seeds: run_fuzzer.sh BINARY SEED...
# A libFuzzer build fuzzes for $FUZZ_SECONDS (default 10) from a writable
# copy of the seeds; a replay build (every config but --config=fuzz) runs
# each seed once. Crash inputs go to the test's undeclared outputs.
set -euo pipefail
bin=$1
shift
work=${TEST_TMPDIR:-$(mktemp -d)}/corpus
mkdir -p "$work"
cp "$@" "$work"/
artifacts=${TEST_UNDECLARED_OUTPUTS_DIR:-$work}/
exec "$bin" -max_total_time="${FUZZ_SECONDS:-10}" -timeout=10 \
  -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$artifacts" \
  "$work"
