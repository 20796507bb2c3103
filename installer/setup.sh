#!/usr/bin/env bash
# OneTimeShare set-up: installs what is missing, builds, and runs the product or the tests.
#
#   installer/setup.sh run [PATH...]   build, run the self-test on PATHs, start a local Redis and relay
#                                      on http://127.0.0.1:8080, then the desktop app (until its window
#                                      closes; without a display, the relay runs until Ctrl-C)
#   installer/setup.sh test            build, then run the whole test suite (what CI runs; as root it
#                                      also installs and purges the .deb files to test them)
#   installer/setup.sh deps            only install the Debian packages the build and tests need
#   installer/setup.sh build           deps + configure + build (default preset)
#   installer/setup.sh package         build, then the .deb files: build/onetimeshare_*.deb (app + ots)
#                                      and build/onetimeshare-relay_*.deb (relay as a systemd service)
#
# Idempotent: packages already installed are left alone and builds are incremental.
# Environment: OTS_FUZZ_SECONDS (default 60) — how long the deeper libFuzzer targets run in `test`
# (the two small parsers get half of it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

# One list, grouped by what needs it. Debian 12 (bookworm) package names.
packages=(
    # toolchain, and clang-format / clang-tidy for the style and lint checks
    build-essential cmake ninja-build pkg-config git clang-format clang-tidy
    # shared/: cryptography
    libsodium-dev libargon2-dev
    # relay/: HTTP server, Redis client, TLS; redis-server for its tests
    libboost1.81-dev libboost-json1.81-dev libhiredis-dev libssl-dev redis-server openssl
    # desktop/ and every test program (Qt Test)
    qt6-base-dev qtkeychain-qt6-dev
    # desktop/gui: SVG icons, translations, QR codes; a virtual X server for screenshots
    qt6-svg-dev qt6-tools-dev qt6-tools-dev-tools libqrencode-dev xvfb xauth
    # fuzzers: clang 14 with libFuzzer and the sanitizer runtimes; llvm for symbolised traces
    clang-14 libclang-rt-14-dev llvm-14
    # packages (CPack DEB): dpkg-shlibdeps computes Depends; rsvg-convert renders the PNG icons
    dpkg-dev librsvg2-bin
    # installer tests: lint the .deb files, validate the .desktop entry and AppStream metainfo
    lintian appstream desktop-file-utils
    # installer tests: the onetimeshare:// handler lookup (xdg-mime and the MIME database)
    xdg-utils shared-mime-info
    # installer tests: systemd-analyze verify/security on the unit (no running systemd needed)
    systemd
    # installer tests: HTTP probes and the $NOTIFY_SOCKET listener that stands in for systemd
    curl python3-minimal
    # installer tests: the relay behind Debian's nginx with the shipped reverse-proxy recipe
    nginx
    # browser receiver tests (tests/web): node for the JS tests, npm to install puppeteer-core (and to
    # check the vendored libraries against their npm releases), the browsers it drives — Debian's own,
    # never a downloaded build — and unzip to check the ZIP archives the page writes. Only tests need
    # them: the relay embeds the page's files and builds without node (the relay-only and fuzz presets
    # never look for it).
    nodejs npm chromium chromium-driver firefox-esr unzip
    # S3 store tests (label s3): a one-node Ceph cluster with its S3 gateway (tests/relay/CephCluster.h),
    # and Redis Sentinel for the failover tests. Only tests need them: the relay talks to any S3 service
    # and any Redis over the network, so its package depends on neither.
    ceph-mon ceph-osd radosgw redis-sentinel
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)

install_deps() {
    local missing=()
    for p in "${packages[@]}"; do
        # A Node.js from NodeSource (package nodejs) bundles npm and conflicts with Debian's npm
        # package: npm counts as present when the command is there, whoever packaged it.
        if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then
            continue
        fi
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "All ${#packages[@]} required packages are installed"
        return
    fi
    say "Installing ${#missing[@]} missing packages: ${missing[*]}"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 ||
            die "these packages are missing and installing them needs root: ${missing[*]}
       Run this script as root, or install them with: apt-get install ${missing[*]}"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script supports Debian 12; install: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build_preset() {
    local preset=$1
    say "Configuring and building preset '$preset'"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

run_product() {
    say "Running: ots selftest $*"
    build/desktop/cli/ots selftest "$@"

    local run=build/run port=${OTS_RELAY_PORT:-8080} redis_port=6390
    mkdir -p "$run/redis" "$run/data"
    while ! port_free "$redis_port"; do redis_port=$((redis_port + 1)); done
    port_free "$port" || die "port $port is in use; choose another with OTS_RELAY_PORT=PORT"

    say "Starting redis-server on 127.0.0.1:$redis_port (data in $run/redis)"
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$run/redis" --save "" --appendonly yes \
        --daemonize no >"$run/redis.log" 2>&1 &
    local redis_pid=$!
    local relay_pid=
    trap 'kill $relay_pid $redis_pid 2>/dev/null; wait 2>/dev/null' EXIT
    trap 'exit 0' INT TERM
    for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

    say "Starting ots-relay on http://127.0.0.1:$port (data in $run/data, log in $run/relay.log); Ctrl-C stops both"
    build/relay/ots-relay --listen "127.0.0.1:$port" --redis-port "$redis_port" --data-dir "$run/data" --open-relay true \
        2>"$run/relay.log" &
    relay_pid=$!
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        kill -0 "$relay_pid" 2>/dev/null || die "ots-relay did not start: $(tail -n 5 "$run/relay.log")"
        sleep 0.1
    done
    say "Relay ready: http://127.0.0.1:$port/healthz  /readyz  /metrics"
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        say "Starting the desktop app (its default relay is http://127.0.0.1:8080; change it under Settings if you chose another port). Closing the window stops the relay and Redis."
        build/desktop/gui/onetimeshare || true
    else
        say "No display (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop window cannot open here."
        say "The relay keeps running until Ctrl-C. Send with: build/desktop/cli/ots send --relay http://127.0.0.1:$port FILE"
        wait "$relay_pid"
    fi
}

# One libFuzzer target for $2 seconds from its corpus in build-fuzz/corpus (new finds go there) and the
# seeds kept in tests/fuzz/corpus; its output goes to build-fuzz/TARGET.log.
run_fuzzer() {
    local target=$1 seconds=$2
    mkdir -p "build-fuzz/corpus/$target"
    local seeds=()
    [ -d "tests/fuzz/corpus/$target" ] && seeds=("../tests/fuzz/corpus/$target")
    (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 "tests/fuzz/$target" -max_total_time="$seconds" \
        -print_final_stats=1 -max_len=300000 "corpus/$target" "${seeds[@]}" >"$target.log" 2>&1)
}

# The five fuzzers in two lanes, one per core, each lane running its fuzzers one after another. The
# three whose inputs reach deepest (the relay's requests, the stream and container formats) get the
# whole time; the two small parsers (links, the client's reading of relay answers), which cover their
# code within seconds (millions of runs), half of it each.
run_fuzzers() {
    local seconds=${OTS_FUZZ_SECONDS:-60}
    local half=$(((seconds + 1) / 2))
    local lanes=("fuzz_relay_http:$seconds fuzz_container:$seconds"
        "fuzz_stream:$seconds fuzz_link:$half fuzz_client_json:$half")
    local targets=(fuzz_relay_http fuzz_container fuzz_stream fuzz_link fuzz_client_json)
    local target lane entry
    for target in "${targets[@]}"; do
        [ -x "build-fuzz/tests/fuzz/$target" ] || die "$target was not built"
    done
    rm -f build-fuzz/failed
    say "Fuzzing in two lanes (target:seconds): ${lanes[0]} | ${lanes[1]}"
    local pids=()
    for lane in "${lanes[@]}"; do
        (
            for entry in $lane; do
                run_fuzzer "${entry%%:*}" "${entry##*:}" || echo "${entry%%:*}" >>build-fuzz/failed
            done
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    for target in "${targets[@]}"; do
        echo "--- $target"
        tail -n 12 "build-fuzz/$target.log"
    done
    [ ! -s build-fuzz/failed ] ||
        die "$(tr '\n' ' ' <build-fuzz/failed)found a crash (artifact and log in build-fuzz/)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
deps)
    install_deps
    ;;
build)
    install_deps
    build_preset default
    ;;
run)
    install_deps
    build_preset default
    run_product "$@"
    ;;
package)
    install_deps
    build_preset default
    say "Building the Debian packages (CPack)"
    cmake --build --preset default --target package
    ls -l build/*.deb
    ;;
test)
    install_deps
    say "Format check (.clang-format)"
    git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror ||
        die "formatting differs from .clang-format; run: git ls-files '*.cpp' '*.h' | xargs clang-format -i"
    build_preset default
    # The builds merge sources (unity builds); clang-tidy reads each source on its own, with the default
    # preset's flags, from the compile database of the tidy preset (configured, never built: the
    # generated headers product sources include, the relay's embedded Lua scripts and receiver files,
    # are written at configure time too).
    cmake --preset tidy >/dev/null
    say "clang-tidy (.clang-tidy) over the product sources"
    # Largest first, one per process: the long ones do not end up last, on one core.
    git ls-files 'shared/src/*.cpp' 'desktop/*.cpp' 'relay/*.cpp' | xargs ls -S |
        xargs -P "$jobs" -n 1 clang-tidy -p build-tidy --quiet --extra-arg=-Wno-unknown-warning-option 2>/dev/null ||
        die "clang-tidy reported problems (run it on the files above to see them)"
    say "npm ci in tests/web (puppeteer-core as locked; no browser download: Debian's chromium is used)"
    (cd tests/web && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund)
    say "Test suite (release build)"
    ctest --preset default
    build_preset debug
    say "Test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
    # Tests labelled "timing" measure wall-clock behaviour (the GUI event loop's longest gap) and run in
    # the release suite above; under the sanitizers, which slow everything several-fold, they are left out.
    # Tests labelled "installer" build, lint and install the .deb files of the release build; they
    # ran above and say nothing more about sanitized code.
    # Tests labelled "web" run the browser receiver's JavaScript (under node and in the browsers); it
    # is the same code in both builds, so they ran above.
    # Tests labelled "s3-suites" are the relay suites run a second time with their blobs in a Ceph
    # bucket: the relay code they drive runs under the sanitizers in their local runs, and the S3
    # store's own code in tst_relay_s3 and tst_s3_client, which stay; the copies would add minutes.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --preset debug -LE "timing|installer|web|s3-suites"
    say "The relay under ThreadSanitizer, driven by its concurrency and integration tests"
    # clang 14 (GCC 12 refuses Asio's fences under TSan); only the ots-relay binary is instrumented,
    # because the runtime aborts in the Qt test programs' fork (CMakePresets.json, OtsSettings.cmake).
    build_preset tsan
    ctest --preset tsan
    say "Relay-only configuration (must configure and build with no Qt at all)"
    build_preset relay-only
    build_preset fuzz
    run_fuzzers
    say "All tests passed"
    ;;
*)
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
