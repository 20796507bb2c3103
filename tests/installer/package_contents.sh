#!/usr/bin/env bash
# Inspects the two .deb files CPack built: their control data (dpkg-deb -I), their file lists
# (dpkg-deb -c) and the files themselves (extracted to a temporary folder): binaries (stripped), the
# .desktop entry with the onetimeshare:// handler, hicolor icons (SVG and PNGs of the right size),
# AppStream metainfo, man pages, unit, conffile. Then lintian: any E: line fails, W: lines are printed.
#
#   package_contents.sh BUILD_DIR VERSION
set -euo pipefail

build=${1:?usage: package_contents.sh BUILD_DIR VERSION}
version=${2:?usage: package_contents.sh BUILD_DIR VERSION}
arch=$(dpkg --print-architecture)
app_deb=$build/onetimeshare_${version}_${arch}.deb
relay_deb=$build/onetimeshare-relay_${version}_${arch}.deb

failures=0
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    failures=$((failures + 1))
}
pass() { printf 'ok: %s\n' "$*"; }
need() { command -v "$1" >/dev/null 2>&1 || { printf 'FAIL: %s is not installed (installer/setup.sh deps installs it)\n' "$1" >&2; exit 1; }; }
for tool in dpkg-deb lintian desktop-file-validate appstreamcli readelf gzip; do need "$tool"; done

for deb in "$app_deb" "$relay_deb"; do
    [ -f "$deb" ] || { printf 'FAIL: %s was not built (cmake --build %s --target package)\n' "$deb" "$build" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# has_entry DEB_LISTING PATH [MODE_PREFIX]: PATH is in the dpkg-deb -c listing (with that mode).
has_entry() {
    local listing=$1 path=$2 mode=${3:-}
    if awk -v p="./$path" -v m="$mode" '$6 == p && (m == "" || index($1, m) == 1) { found = 1 } END { exit !found }' "$listing"; then
        pass "contains /$path${mode:+ ($mode)}"
    else
        fail "missing /$path${mode:+ with mode $mode}"
    fi
}

# control_field DEB FIELD: the field's value from dpkg-deb -f.
control_field() { dpkg-deb -f "$1" "$2"; }

png_size() { # WIDTHxHEIGHT from the PNG header
    local bytes
    bytes=$(od -An -tu1 -j16 -N8 "$1" | tr -s ' ' | sed 's/^ //')
    read -r w1 w2 w3 w4 h1 h2 h3 h4 <<<"$bytes"
    echo "$(((w1 << 24) | (w2 << 16) | (w3 << 8) | w4))x$(((h1 << 24) | (h2 << 16) | (h3 << 8) | h4))"
}

echo "== onetimeshare: $app_deb"
dpkg-deb -I "$app_deb"
dpkg-deb -c "$app_deb" >"$tmp/app.list"
[ "$(control_field "$app_deb" Package)" = onetimeshare ] || fail "Package is not onetimeshare"
[ "$(control_field "$app_deb" Version)" = "$version" ] || fail "Version is not $version"
app_depends=$(control_field "$app_deb" Depends)
for lib in libc6 libqt6core6 libqt6widgets6 libsodium23 libargon2-1; do
    if grep -q "\b$lib\b" <<<"$app_depends"; then pass "Depends names $lib"; else fail "Depends lacks $lib: $app_depends"; fi
done
has_entry "$tmp/app.list" usr/bin/onetimeshare -rwxr-xr-x
has_entry "$tmp/app.list" usr/bin/ots -rwxr-xr-x
has_entry "$tmp/app.list" usr/share/applications/onetimeshare.desktop -rw-r--r--
has_entry "$tmp/app.list" usr/share/metainfo/onetimeshare.metainfo.xml
has_entry "$tmp/app.list" usr/share/icons/hicolor/scalable/apps/onetimeshare.svg
for size in 16 24 32 48 64 128 256; do
    has_entry "$tmp/app.list" "usr/share/icons/hicolor/${size}x${size}/apps/onetimeshare.png"
done
has_entry "$tmp/app.list" usr/share/man/man1/ots.1.gz
has_entry "$tmp/app.list" usr/share/man/man1/onetimeshare.1.gz
has_entry "$tmp/app.list" usr/share/doc/onetimeshare/copyright
has_entry "$tmp/app.list" usr/share/doc/onetimeshare/changelog.gz
if grep -q 'ots-relay' "$tmp/app.list"; then fail "onetimeshare ships relay files"; fi

dpkg-deb -x "$app_deb" "$tmp/app"
desktop=$tmp/app/usr/share/applications/onetimeshare.desktop
if grep -qx 'MimeType=x-scheme-handler/onetimeshare;' "$desktop"; then pass ".desktop handles x-scheme-handler/onetimeshare"; else fail ".desktop has no MimeType=x-scheme-handler/onetimeshare;"; fi
if grep -qx 'Exec=onetimeshare %u' "$desktop"; then pass ".desktop Exec passes the URL (%u)"; else fail ".desktop Exec does not take %u"; fi
if grep -qx 'Icon=onetimeshare' "$desktop"; then pass ".desktop Icon=onetimeshare"; else fail ".desktop icon is not onetimeshare"; fi
if desktop-file-validate "$desktop"; then pass "desktop-file-validate"; else fail "desktop-file-validate rejects the .desktop entry"; fi
appstream_out=$(appstreamcli validate --no-net "$tmp/app/usr/share/metainfo/onetimeshare.metainfo.xml" 2>&1 || true)
printf '%s\n' "$appstream_out"
if grep -q '^E:' <<<"$appstream_out"; then fail "appstreamcli validate reports errors"; else pass "appstreamcli validate: no errors"; fi
for size in 16 24 32 48 64 128 256; do
    got=$(png_size "$tmp/app/usr/share/icons/hicolor/${size}x${size}/apps/onetimeshare.png")
    if [ "$got" = "${size}x${size}" ]; then pass "icon ${size}x${size} is $got"; else fail "icon ${size}x${size} is $got"; fi
done
for page in ots onetimeshare; do
    page_file=$tmp/app/usr/share/man/man1/$page.1.gz
    if gzip -t "$page_file" && zcat "$page_file" | grep -q '^\.TH'; then
        pass "man page $page(1)"
    else
        fail "man page $page(1) is not a gzip'd roff page"
    fi
done
for binary in onetimeshare ots; do
    if readelf -S "$tmp/app/usr/bin/$binary" | grep -q '\.debug_info'; then fail "$binary is not stripped"; else pass "$binary is stripped"; fi
done

echo "== onetimeshare-relay: $relay_deb"
dpkg-deb -I "$relay_deb"
dpkg-deb -c "$relay_deb" >"$tmp/relay.list"
[ "$(control_field "$relay_deb" Package)" = onetimeshare-relay ] || fail "Package is not onetimeshare-relay"
relay_depends=$(control_field "$relay_deb" Depends)
for lib in libc6 libhiredis0.14 libssl3 libsodium23; do
    if grep -q "\b$lib\b" <<<"$relay_depends"; then pass "Depends names $lib"; else fail "Depends lacks $lib: $relay_depends"; fi
done
grep -qi 'qt' <<<"$relay_depends" && fail "the relay depends on Qt: $relay_depends"
if [ "$(control_field "$relay_deb" Recommends)" = redis-server ]; then pass "Recommends: redis-server"; else fail "Recommends is not redis-server"; fi
has_entry "$tmp/relay.list" usr/bin/ots-relay -rwxr-xr-x
has_entry "$tmp/relay.list" lib/systemd/system/onetimeshare-relay.service -rw-r--r--
has_entry "$tmp/relay.list" etc/onetimeshare/relay.conf -rw-r-----
has_entry "$tmp/relay.list" usr/share/man/man1/ots-relay.1.gz
has_entry "$tmp/relay.list" usr/share/doc/onetimeshare-relay/copyright
has_entry "$tmp/relay.list" usr/share/doc/onetimeshare-relay/changelog.gz
if grep -q 'usr/bin/ots$\|usr/bin/onetimeshare$' "$tmp/relay.list"; then fail "onetimeshare-relay ships desktop files"; fi

mkdir "$tmp/relay-control"
dpkg-deb -e "$relay_deb" "$tmp/relay-control"
if grep -qx '/etc/onetimeshare/relay.conf' "$tmp/relay-control/conffiles"; then pass "relay.conf is a conffile"; else fail "relay.conf is not listed in conffiles"; fi
for script in postinst prerm postrm; do
    if [ -x "$tmp/relay-control/$script" ]; then pass "$script present"; else fail "$script missing"; fi
done
if grep -q 'rm -rf /var/lib/private/onetimeshare-relay /var/lib/onetimeshare-relay' "$tmp/relay-control/postrm"; then
    pass "postrm purges the state folder"
else
    fail "postrm does not purge the state folder"
fi
dpkg-deb -x "$relay_deb" "$tmp/relay"
if grep -q '^Type=notify$' "$tmp/relay/lib/systemd/system/onetimeshare-relay.service"; then pass "unit is Type=notify"; else fail "unit is not Type=notify"; fi
if gzip -t "$tmp/relay/usr/share/man/man1/ots-relay.1.gz"; then pass "man page ots-relay(1)"; else fail "ots-relay.1.gz is not gzip"; fi
if readelf -S "$tmp/relay/usr/bin/ots-relay" | grep -q '\.debug_info'; then fail "ots-relay is not stripped"; else pass "ots-relay is stripped"; fi

echo "== lintian"
# --tag-display-limit 0: print every warning. Exit status is ignored: the E: lines decide.
lintian_out=$(lintian --tag-display-limit 0 --display-info "$app_deb" "$relay_deb" 2>&1 || true)
printf '%s\n' "$lintian_out"
errors=$(grep -c '^E:' <<<"$lintian_out" || true)
warnings=$(grep -c '^W:' <<<"$lintian_out" || true)
echo "lintian: $errors errors, $warnings warnings"
if [ "$errors" -eq 0 ]; then pass "lintian reports no errors"; else fail "lintian reports $errors errors"; fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all package checks passed"
