#!/usr/bin/env bash
# Installs both .deb files for real (dpkg -i, as root: what CI does) and checks the installed product:
#   - postinst created nothing world-readable (state folder 0700, relay.conf 0640) and generated one
#     upload token (/etc/onetimeshare/upload-token, 0640, 43 base64url characters), which a second
#     dpkg -i (an upgrade) keeps;
#   - `ots-relay --check-config --config /etc/onetimeshare/relay.conf` accepts the shipped config
#     and does not call the relay open;
#   - the installed relay (on a free loopback port, a temporary data folder, a test redis-server it
#     starts here) reports READY=1 over $NOTIFY_SOCKET, serves one file sent and received with the
#     installed /usr/bin/ots (bytes compared) with the upload token, refuses `ots send` without it,
#     and reports STOPPING=1 after SIGTERM;
#   - `xdg-mime query default x-scheme-handler/onetimeshare` names onetimeshare.desktop;
#   - `systemd-analyze verify` accepts the installed unit and `systemd-analyze security` scores it
#     at most 3.0;
# then purges both packages (dpkg -P) and checks that nothing is left behind.
#
# Not root: with CI=true this fails (CI must install for real); otherwise the packages are extracted
# with dpkg-deb -x into a temporary root and the same checks run there (no maintainer scripts).
#
#   install_packages.sh BUILD_DIR VERSION
set -euo pipefail

build=${1:?usage: install_packages.sh BUILD_DIR VERSION}
version=${2:?usage: install_packages.sh BUILD_DIR VERSION}
arch=$(dpkg --print-architecture)
app_deb=$(realpath "$build/onetimeshare_${version}_${arch}.deb")
relay_deb=$(realpath "$build/onetimeshare-relay_${version}_${arch}.deb")
max_exposure=3.0

die() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
pass() { printf 'ok: %s\n' "$*"; }
for tool in dpkg-deb redis-server redis-cli curl xdg-mime systemd-analyze python3 cmp; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (installer/setup.sh deps installs it)"
done
{ [ -f "$app_deb" ] && [ -f "$relay_deb" ]; } || die "the packages were not built (cmake --build $build --target package)"

tmp=$(mktemp -d)
redis_pid=
relay_pid=
listener_pid=
installed=0
root=  # "" when installed for real, the extraction folder otherwise

cleanup() {
    local status=$?
    set +e # clean up as far as possible, even when the output is gone
    for pid in $relay_pid $redis_pid $listener_pid; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ "$installed" -eq 1 ]; then
        echo "== dpkg -P (cleaning up after a failure)" 2>/dev/null
        dpkg -P onetimeshare-relay onetimeshare >/dev/null 2>&1
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
# A signal or a closed output still purges what this run installed.
trap 'exit 1' INT TERM HUP
trap '' PIPE

# A loopback TCP port nobody listens on (the kernel's choice, released before use).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

if [ "$(id -u)" -eq 0 ]; then
    for package in onetimeshare onetimeshare-relay; do
        if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            die "$package is already installed on this machine; this test installs and purges it, so it refuses to touch an existing installation (dpkg -P $package first)"
        fi
    done
    for leftover in /usr/bin/ots /usr/bin/ots-relay /usr/bin/onetimeshare /etc/onetimeshare /var/lib/onetimeshare-relay; do
        [ ! -e "$leftover" ] || die "$leftover exists although the packages are not installed; remove it first"
    done
    echo "== dpkg -i $app_deb $relay_deb"
    installed=1
    dpkg -i "$app_deb" "$relay_deb"
    pass "both packages installed"
    if [ "$(stat -c %a /var/lib/onetimeshare-relay)" = 700 ]; then pass "state folder /var/lib/onetimeshare-relay is 0700"; else die "/var/lib/onetimeshare-relay is $(stat -c %a /var/lib/onetimeshare-relay), not 0700"; fi
    if [ "$(stat -c %a /etc/onetimeshare/relay.conf)" = 640 ]; then pass "/etc/onetimeshare/relay.conf is 0640"; else die "/etc/onetimeshare/relay.conf is $(stat -c %a /etc/onetimeshare/relay.conf), not 0640"; fi
    world=$(find /etc/onetimeshare /var/lib/onetimeshare-relay -perm -o=r ! -type l -print)
    [ -z "$world" ] || [ "$world" = /etc/onetimeshare ] || die "world-readable after installation: $world"
    token_file=/etc/onetimeshare/upload-token
    [ -f "$token_file" ] || die "postinst generated no $token_file"
    [ "$(stat -c '%a %U %G' "$token_file")" = "640 root root" ] || die "$token_file is $(stat -c '%a %U %G' "$token_file"), not 640 root root"
    grep -Eqx '[A-Za-z0-9_-]{43}' "$token_file" || die "$token_file does not hold one base64url token of 32 bytes"
    pass "postinst generated the upload token $token_file (0640 root:root, 43 base64url characters)"
    token_before=$(cat "$token_file")
    echo "== dpkg -i $relay_deb (again: an upgrade keeps the token)"
    dpkg -i "$relay_deb" >/dev/null
    [ "$(cat "$token_file")" = "$token_before" ] || die "reinstalling the relay package replaced the upload token"
    pass "a second dpkg -i kept the upload token"
else
    if [ "${CI:-}" = true ]; then
        die "not running as root: in CI this test must install the packages for real with dpkg -i (run it as root)"
    fi
    root=$tmp/root
    echo "== not root: extracting the packages into $root (dpkg-deb -x; maintainer scripts do not run)"
    dpkg-deb -x "$app_deb" "$root"
    dpkg-deb -x "$relay_deb" "$root"
fi

ots=$root/usr/bin/ots
relay=$root/usr/bin/ots-relay
config=$root/etc/onetimeshare/relay.conf
unit=$root/lib/systemd/system/onetimeshare-relay.service
{ [ -x "$ots" ] && [ -x "$relay" ] && [ -f "$config" ] && [ -f "$unit" ]; } || die "installed files are missing"
token_args=()
if [ -n "$root" ]; then
    # Extracted, no postinst ran: a token file of our own, as the postinst would write it.
    token_file=$tmp/upload-token
    (umask 077 && head -c 32 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=' >"$token_file")
    token_args=(--upload-tokens-file "$token_file")
fi

echo "== ots-relay --check-config --config /etc/onetimeshare/relay.conf"
check_args=(--check-config --config "$config" "${token_args[@]}")
# Extracted: /var/lib/onetimeshare-relay is not ours to create, so only the data folder moves.
[ -z "$root" ] || check_args+=(--data-dir "$tmp/check-data")
"$relay" "${check_args[@]}" 2>"$tmp/check.err" || die "ots-relay --check-config rejects the shipped configuration: $(cat "$tmp/check.err")"
cat "$tmp/check.err" >&2
if grep -q 'warning: open relay' "$tmp/check.err"; then die "--check-config calls the shipped configuration an open relay"; fi
pass "the shipped configuration is valid and requires an upload token"

echo "== installed relay against a test redis-server"
redis_port=$(free_port)
mkdir -p "$tmp/redis" "$tmp/data" "$tmp/in" "$tmp/out" "$tmp/ots-config"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$tmp/redis" --save "" --appendonly no \
    --daemonize no >"$tmp/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || die "redis-server did not start: $(tail -n 5 "$tmp/redis.log")"

# What systemd would see: a datagram socket named by $NOTIFY_SOCKET, every message written to a file.
notify_socket=$tmp/notify.sock
python3 -u - "$notify_socket" "$tmp/notify.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a", buffering=1) as log:
    print("listening", file=log)
    while True:
        try:
            log.write(s.recv(4096).decode() + "\n--\n")
        except socket.timeout:
            break
EOF
listener_pid=$!
for _ in $(seq 100); do
    [ -S "$notify_socket" ] && break
    sleep 0.05
done
[ -S "$notify_socket" ] || die "the notification listener did not start"

port=$(free_port)
NOTIFY_SOCKET=$notify_socket "$relay" --config "$config" "${token_args[@]}" --listen "127.0.0.1:$port" \
    --redis-port "$redis_port" --data-dir "$tmp/data" 2>"$tmp/relay.log" &
relay_pid=$!
for _ in $(seq 100); do
    grep -q 'READY=1' "$tmp/notify.log" 2>/dev/null && break
    kill -0 "$relay_pid" 2>/dev/null || die "the installed ots-relay exited: $(tail -n 5 "$tmp/relay.log")"
    sleep 0.1
done
grep -q 'READY=1' "$tmp/notify.log" || die "ots-relay sent no READY=1 to \$NOTIFY_SOCKET"
pass "ots-relay sent READY=1 over \$NOTIFY_SOCKET"
curl -fsS --max-time 5 "http://127.0.0.1:$port/readyz" >/dev/null || die "/readyz does not answer: $(tail -n 5 "$tmp/relay.log")"
pass "relay ready on 127.0.0.1:$port"

head -c 3000000 /dev/urandom >"$tmp/in/sample.bin"
export OTS_CONFIG_DIR=$tmp/ots-config OTS_SECRET_STORE=file
if timeout 60 "$ots" send --relay "http://127.0.0.1:$port" "$tmp/in/sample.bin" >/dev/null 2>"$tmp/no-token.err"; then
    die "the installed relay let ots send create a share without the upload token"
fi
pass "ots send without the upload token is refused: $(head -n 1 "$tmp/no-token.err")"
link=$(timeout 60 "$ots" send --relay "http://127.0.0.1:$port" --upload-token-fd 3 "$tmp/in/sample.bin" 3<"$token_file") ||
    die "ots send with the upload token failed"
pass "ots send --upload-token-fd printed a link"
timeout 60 "$ots" get "$link" -o "$tmp/out" || die "ots get failed"
cmp "$tmp/in/sample.bin" "$tmp/out/sample.bin" || die "the received file differs from the one sent"
pass "installed ots sent and received 3000000 bytes through the installed relay, identical"

kill -TERM "$relay_pid"
relay_status=0
timeout 30 tail --pid="$relay_pid" -f /dev/null || die "ots-relay did not stop within 30 s of SIGTERM"
wait "$relay_pid" || relay_status=$?
relay_pid=
[ "$relay_status" -eq 0 ] || die "ots-relay exited $relay_status after SIGTERM"
grep -q 'STOPPING=1' "$tmp/notify.log" || die "ots-relay sent no STOPPING=1 when it drained"
pass "SIGTERM: ots-relay sent STOPPING=1 and exited 0"

echo "== xdg-mime query default x-scheme-handler/onetimeshare"
mkdir -p "$tmp/home"
xdg_env=(env -i "PATH=$PATH" "HOME=$tmp/home")
if [ -n "$root" ]; then
    # What the desktop-file-utils trigger does on a real installation.
    update-desktop-database "$root/usr/share/applications"
    xdg_env+=("XDG_DATA_DIRS=$root/usr/share")
fi
handler=$("${xdg_env[@]}" xdg-mime query default x-scheme-handler/onetimeshare)
echo "$handler"
[ "$handler" = onetimeshare.desktop ] || die "xdg-mime names '$handler', not onetimeshare.desktop"
pass "xdg-mime names onetimeshare.desktop for onetimeshare:// links"

echo "== systemd-analyze verify $unit"
verify_unit=$unit
verify_env=()
if [ -n "$root" ]; then
    # Extracted: verify checks that ExecStart= exists and runs man on Documentation=, so point both
    # into the extraction folder (a copy of the unit; the file itself is checked as shipped below).
    mkdir -p "$tmp/unit"
    verify_unit=$tmp/unit/onetimeshare-relay.service
    sed "s|/usr/bin/ots-relay|$root/usr/bin/ots-relay|" "$unit" >"$verify_unit"
    verify_env=(env "MANPATH=$root/usr/share/man")
fi
verify_out=$("${verify_env[@]}" systemd-analyze verify "$verify_unit" 2>&1) ||
    die "systemd-analyze verify rejects the unit: $verify_out"
[ -z "$verify_out" ] || echo "$verify_out"
if grep -q 'onetimeshare-relay' <<<"$verify_out"; then die "systemd-analyze verify complains about the unit"; fi
pass "systemd-analyze verify accepts the unit"

echo "== systemd-analyze security --offline=yes $unit"
security_out=$(systemd-analyze security --offline=yes "$unit" 2>&1) || true
printf '%s\n' "$security_out" | grep -v '^✓'
score=$(sed -n 's/.*Overall exposure level for onetimeshare-relay.service: \([0-9.]*\).*/\1/p' <<<"$security_out")
[ -n "$score" ] || die "no exposure score in the systemd-analyze security output"
echo "exposure score: $score (limit $max_exposure)"
awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' || die "exposure score $score is above $max_exposure"
pass "exposure score $score <= $max_exposure"

if [ -z "$root" ]; then
    echo "== dpkg -P onetimeshare-relay onetimeshare"
    dpkg -P onetimeshare-relay onetimeshare
    installed=0
    for gone in /usr/bin/ots /usr/bin/ots-relay /usr/bin/onetimeshare /etc/onetimeshare /var/lib/onetimeshare-relay \
        /lib/systemd/system/onetimeshare-relay.service /etc/systemd/system/multi-user.target.wants/onetimeshare-relay.service \
        /usr/share/applications/onetimeshare.desktop; do
        if [ -e "$gone" ] || [ -L "$gone" ]; then die "$gone is still there after dpkg -P"; fi
    done
    helper_state=$(find /var/lib/systemd /etc/systemd -name '*onetimeshare*' 2>/dev/null || true)
    [ -z "$helper_state" ] || die "systemd enablement state is left after dpkg -P: $helper_state"
    left=$("${xdg_env[@]}" xdg-mime query default x-scheme-handler/onetimeshare || true)
    [ -z "$left" ] || die "after purging, xdg-mime still names '$left'"
    pass "purged: no files, no unit enablement and no scheme handler left"
fi
echo "all install checks passed"
