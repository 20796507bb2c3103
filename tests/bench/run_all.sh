#!/usr/bin/env bash
# Runs every benchmark in tests/bench, one after the other, and keeps their full output: the command
# behind README.md's "Performance" table. Each benchmark starts its own redis-server and ots-relay on
# free loopback ports and prints every figure next to a limit measured in the same run.
#
#   tests/bench/run_all.sh [BUILD_DIR] [--soak-minutes M]
#
# BUILD_DIR (default: build) must hold a release build (`cmake --preset default && cmake --build
# --preset default`). --soak-minutes (default 15) is the length of soak_bench. Temporary files go to
# TMPDIR (about 13 GiB at the peak, for client_memory_bench's 4 GiB file in three copies). The output
# is written to BUILD_DIR/bench-results.txt as well. browser_bench also needs Debian's chromium and
# puppeteer-core in tests/web/node_modules (`npm ci` there; installer/setup.sh test does it). The
# exit status is the number of benchmarks that missed a target or could not run.
set -uo pipefail

build=build
soak_minutes=15
while [ $# -gt 0 ]; do
    case "$1" in
    --soak-minutes)
        soak_minutes=${2:?--soak-minutes needs a value}
        shift 2
        ;;
    -*)
        echo "run_all.sh: unknown option $1" >&2
        exit 2
        ;;
    *)
        build=$1
        shift
        ;;
    esac
done

bench=$build/tests/bench
results=$build/bench-results.txt
[ -x "$bench/format_bench" ] || {
    echo "run_all.sh: no benchmarks in $bench; build the default preset first" >&2
    exit 2
}

benchmarks=(
    "format_bench --mib 1024"
    "format_bench --mib 0 --stream-gib 10"
    "relay_bench"
    "transfer_bench"
    "transfer_bench --dir /dev/shm"
    "client_memory_bench"
    "relay_load_bench"
    "small_shares_bench"
    "browser_bench"
    "soak_bench --minutes $soak_minutes"
)

{
    echo "# tests/bench/run_all.sh on $(hostname) at $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "# $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM," \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
} | tee "$results"

failed=0
for line in "${benchmarks[@]}"; do
    read -r -a command <<<"$line"
    printf '\n## %s\n' "$line" | tee -a "$results"
    if [ ! -x "$bench/${command[0]}" ]; then
        echo "run_all.sh: $bench/${command[0]} was not built" | tee -a "$results"
        failed=$((failed + 1))
        continue
    fi
    "$bench/${command[0]}" "${command[@]:1}" 2>&1 | tee -a "$results"
    status=${PIPESTATUS[0]}
    if [ "$status" -ne 0 ]; then
        echo "run_all.sh: ${command[0]} exited $status" | tee -a "$results"
        failed=$((failed + 1))
    fi
done
printf '\nrun_all.sh: %d of %d benchmarks missed a target or could not run; output in %s\n' \
    "$failed" "${#benchmarks[@]}" "$results"
exit "$failed"
