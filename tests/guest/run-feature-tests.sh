#!/usr/bin/env bash
# run-feature-tests.sh: shell tests of the bundled feature scripts and the guest stand-ins.
#
# Each test builds a throwaway fake guest: a temporary folder used as PHOENIX_GUEST_ROOT (its
# etc/passwd, etc/group, etc/os-release, tmp/vm_context.json) and a PATH that starts with
# src/Phoenix.Simulator/GuestTools. No namespaces, no network, nothing outside the temp folder
# is written. Also runs shellcheck on every bundled script, the template, the stand-ins and this
# file.
#
# Usage: tests/guest/run-feature-tests.sh [-v]    (-v prints each failing run's full output)
# Prints one line per check and ends with "N passed, N failed"; exits 1 when any check failed.

set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
TOOLS="$REPO/src/Phoenix.Simulator/GuestTools"
FEATURES="$REPO/features"
VERBOSE=0
[[ "${1:-}" == "-v" ]] && VERBOSE=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/phoenix-feature-tests.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

PASSED=0
FAILED=0
RC=0
OUT=""
GUEST=""

pass() {
    PASSED=$((PASSED + 1))
    printf 'ok      %s\n' "$1"
}

fail() {
    FAILED=$((FAILED + 1))
    printf 'FAILED  %s\n' "$1"
    shift
    local l
    for l in "$@"; do
        printf '        %s\n' "$l"
    done
    if [[ "$VERBOSE" == 1 && -n "$OUT" ]]; then
        printf '%s\n' "$OUT" | sed 's/^/        | /'
    fi
}

expect_eq() {
    local name="$1" expected="$2" actual="$3"
    if [[ "$expected" == "$actual" ]]; then
        pass "$name"
    else
        fail "$name" "expected:" "${expected//$'\n'/$'\n'        }" "actual:" "${actual//$'\n'/$'\n'        }"
    fi
}

expect_contains() {
    local name="$1" needle="$2" haystack="$3"
    if [[ "$haystack" == *"$needle"* ]]; then
        pass "$name"
    else
        fail "$name" "expected to contain: $needle"
    fi
}

expect_not_contains() {
    local name="$1" needle="$2" haystack="$3"
    if [[ "$haystack" != *"$needle"* ]]; then
        pass "$name"
    else
        fail "$name" "expected not to contain: $needle"
    fi
}

# new_guest <name> [context-json]: a fresh fake guest with root, phoenix_user and ops_admin.
new_guest() {
    GUEST="$WORK/$1"
    mkdir -p "$GUEST/etc" "$GUEST/tmp" "$GUEST/var/lib" "$GUEST/var/log"
    cp "$TOOLS/os-release" "$GUEST/etc/os-release"
    printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
        'phoenix_user:x:1000:1000:Phoenix User:/home/phoenix_user:/bin/bash' \
        'ops_admin:x:1001:1001::/home/ops_admin:/bin/bash' >"$GUEST/etc/passwd"
    printf '%s\n' 'root:x:0:' 'phoenix_user:x:1000:' 'ops_admin:x:1001:' >"$GUEST/etc/group"
    local context='{"vmid": 1001, "name": "Portainer", "user_config": {"username": "phoenix_user"}}'
    printf '%s\n' "${2:-$context}" >"$GUEST/tmp/vm_context.json"
}

guest_state() { mkdir -p "$GUEST/var/lib/phoenix-guest" && printf '%s\n' "$2" >"$GUEST/var/lib/phoenix-guest/$1"; }

calls_count() {
    if [[ -f "$GUEST/var/log/phoenix-guest/calls.log" ]]; then
        wc -l <"$GUEST/var/log/phoenix-guest/calls.log" | tr -d ' '
    else
        printf '0'
    fi
}

# run_feature <feature> [VAR=value...]: runs it in $GUEST as Phoenix would; sets RC and OUT.
run_feature() {
    local feature="$1"
    shift
    OUT="$(env -u PHOENIX_USERNAME -u PHOENIX_APT_LOCK_TIMEOUT \
        PATH="$TOOLS:$PATH" PHOENIX_GUEST_ROOT="$GUEST" \
        PHOENIX_CONTEXT_FILE="$GUEST/tmp/vm_context.json" PHOENIX_VMID=1001 PHOENIX_VM_NAME=Portainer \
        "$@" /bin/bash "$FEATURES/feature_install_$feature.sh" 2>&1 </dev/null)"
    RC=$?
}

# run_tool <tool> <args...>: a stand-in called in $GUEST; sets RC and OUT.
run_tool() {
    OUT="$(env PATH="$TOOLS:$PATH" PHOENIX_GUEST_ROOT="$GUEST" "$@" 2>&1 </dev/null)"
    RC=$?
}

last_line() { printf '%s\n' "$1" | tail -n 1; }

# The calls that change a guest, from line <from> of the call log on, reduced to what the
# seed's steps name: options dropped from apt-get and curl, queries left out.
changing_calls() {
    local from="${1:-1}" line tool verb a skip
    local -a w out
    [[ -f "$GUEST/var/log/phoenix-guest/calls.log" ]] || return 0
    while IFS= read -r line; do
        eval "w=($line)"
        tool="${w[0]}"
        out=("$tool")
        case "$tool" in
            apt-get | apt)
                skip=0
                for a in "${w[@]:1}"; do
                    if [[ "$skip" == 1 ]]; then skip=0; continue; fi
                    case "$a" in
                        -o | -c | -t) skip=1 ;;
                        -*) ;;
                        *) out+=("$a") ;;
                    esac
                done
                ;;
            curl)
                skip=0
                for a in "${w[@]:1}"; do
                    if [[ "$skip" == 1 ]]; then skip=0; continue; fi
                    case "$a" in
                        -o | --output) skip=1 ;;
                        -*) ;;
                        *) out+=("$a") ;;
                    esac
                done
                ;;
            systemctl)
                verb="${w[1]:-}"
                case "$verb" in is-active | is-enabled | status) continue ;; esac
                out=("${w[@]}")
                ;;
            timedatectl)
                [[ "${w[1]:-}" == set-timezone ]] || continue
                out=("${w[@]}")
                ;;
            usermod | gpg) out=("${w[@]}") ;;
            *) continue ;;
        esac
        printf '%s\n' "${out[*]}"
    done < <(tail -n "+$from" "$GUEST/var/log/phoenix-guest/calls.log")
}

# ------------------------------------------------------------------------------------------
# feature_install_docker.sh
# ------------------------------------------------------------------------------------------

test_docker_fresh_then_again() {
    new_guest docker-fresh
    run_feature docker
    expect_eq "docker first run: exit code 0" 0 "$RC"
    expect_eq "docker first run: the seed's steps in order" "apt-get update
apt-get install ca-certificates curl
curl https://download.docker.com/linux/ubuntu/gpg
apt-get update
apt-get install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
systemctl enable docker
systemctl start docker
usermod -aG docker phoenix_user" "$(changing_calls)"
    expect_eq "docker first run: last line reports a change" "PHOENIX_CHANGED=1" "$(last_line "$OUT")"
    expect_eq "docker first run: sources list in Docker's current layout" \
        "deb [arch=$(PHOENIX_GUEST_ROOT="$GUEST" "$TOOLS/dpkg" --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable" \
        "$(cat "$GUEST/etc/apt/sources.list.d/docker.list" 2>&1)"
    expect_eq "docker first run: key in /etc/apt/keyrings/docker.asc, readable by all" \
        "-----BEGIN PGP PUBLIC KEY BLOCK----- 644" \
        "$(head -n 1 "$GUEST/etc/apt/keyrings/docker.asc" 2>&1) $(stat -c %a "$GUEST/etc/apt/keyrings/docker.asc" 2>&1)"
    expect_eq "docker first run: user in the guest's docker group" "docker:x:999:phoenix_user" \
        "$(grep '^docker:' "$GUEST/etc/group" 2>&1)"
    expect_eq "docker first run: service state recorded" "docker enabled active" \
        "$(cat "$GUEST/var/lib/phoenix-guest/services" 2>&1)"
    expect_contains "docker first run: explains each step" "[docker] step 5/7: installing Docker Engine" "$OUT"

    local before
    before="$(calls_count)"
    run_feature docker
    expect_eq "docker second run: exit code 0" 0 "$RC"
    expect_eq "docker second run: no package installed, nothing enabled, started or added" "" \
        "$(changing_calls $((before + 1)))"
    expect_eq "docker second run: last line reports no change" "PHOENIX_CHANGED=0" "$(last_line "$OUT")"
    expect_contains "docker second run: says no change" "[docker] no change:" "$OUT"
}

test_docker_missing_username() {
    new_guest docker-nouser '{"vmid": 1001, "name": "Portainer", "features": ["docker"]}'
    run_feature docker
    expect_eq "docker without a user name: exit code 2 (bad context)" 2 "$RC"
    expect_contains "docker without a user name: says what to set" \
        "[docker] ERROR: no user name: set user_config.username in the VM's spec" "$OUT"
    expect_eq "docker without a user name: fails before any guest command" 0 "$(calls_count)"
    expect_eq "docker without a user name: reports no change" "PHOENIX_CHANGED=0" "$(last_line "$OUT")"
}

test_docker_bad_json() {
    new_guest docker-badjson '{"vmid": 1001, "user_config": {'
    run_feature docker
    expect_eq "docker with a broken context file: exit code 2" 2 "$RC"
    expect_contains "docker with a broken context file: says so" "could not be read as JSON" "$OUT"
}

test_docker_without_python() {
    # Cloud images without python3: the bash fallback must find user_config.username, not the
    # decoy "username" of an app-specific field that comes first.
    new_guest docker-nopy '{
  "vmid": 1002,
  "portainer": { "username": "admin" },
  "User_Config": {
    "ssh_public_keys": ["ssh-ed25519 AAAA x@y"],
    "username": "phoenix_user"
  }
}'
    mkdir -p "$WORK/nopy"
    printf '#!/bin/sh\nexit 127\n' >"$WORK/nopy/python3"
    chmod +x "$WORK/nopy/python3"
    run_feature docker PATH="$TOOLS:$WORK/nopy:$PATH"
    expect_eq "docker without python3: exit code 0" 0 "$RC"
    expect_eq "docker without python3: user_config.username read with bash" "usermod -aG docker phoenix_user" \
        "$(changing_calls | grep '^usermod')"
}

test_docker_env_username() {
    new_guest docker-env
    run_feature docker PHOENIX_USERNAME=ops_admin
    expect_eq "docker with PHOENIX_USERNAME: it wins over the context file" "usermod -aG docker ops_admin" \
        "$(changing_calls | grep '^usermod')"
}

test_docker_invalid_username() {
    new_guest docker-badname
    run_feature docker "PHOENIX_USERNAME=Bad User"
    expect_eq "docker with an invalid user name: exit code 2" 2 "$RC"
}

test_docker_user_absent() {
    new_guest docker-absent '{"user_config": {"username": "ghost"}}'
    run_feature docker
    expect_eq "docker for a user the guest lacks: exit code 0" 0 "$RC"
    expect_contains "docker for a user the guest lacks: warns" \
        "[docker] WARNING: user 'ghost' does not exist in this VM" "$OUT"
    expect_eq "docker for a user the guest lacks: no usermod" "" "$(changing_calls | grep '^usermod')"
}

test_docker_installed_user_missing_from_group() {
    new_guest docker-partial
    guest_state packages $'containerd.io\ndocker-ce-cli\ndocker-ce'
    guest_state services 'docker enabled active'
    guest_state groups 'docker:'
    run_feature docker
    expect_eq "docker already installed, user not in group: exit code 0" 0 "$RC"
    expect_eq "docker already installed, user not in group: only usermod" "usermod -aG docker phoenix_user" \
        "$(changing_calls)"
    expect_eq "docker already installed, user not in group: reports a change" "PHOENIX_CHANGED=1" "$(last_line "$OUT")"
}

test_docker_stopped_service() {
    new_guest docker-stopped
    guest_state packages $'containerd.io\ndocker-ce-cli\ndocker-ce'
    guest_state services 'docker enabled inactive'
    guest_state groups 'docker:phoenix_user'
    run_feature docker
    expect_eq "docker installed but stopped: only started" "systemctl start docker" "$(changing_calls)"
}

test_docker_group_missing() {
    # Docker present (Ubuntu's docker.io) but no docker group: usermod fails, the feature says so.
    new_guest docker-nogroup
    guest_state packages 'docker.io'
    guest_state services 'docker enabled active'
    run_feature docker
    expect_eq "docker when usermod fails: exit code 8" 8 "$RC"
    expect_contains "docker when usermod fails: usermod's own message and the feature's" \
        "usermod: group 'docker' does not exist
[docker] ERROR: usermod -aG docker phoenix_user failed" "$OUT"
}

test_docker_key_download_fails() {
    new_guest docker-nokey
    guest_state curl-fail 'https://download.docker.com/'
    run_feature docker
    expect_eq "docker when the key download fails: exit code 4" 4 "$RC"
    expect_contains "docker when the key download fails: names the URL" \
        "[docker] ERROR: could not download Docker's key from https://download.docker.com/linux/ubuntu/gpg" "$OUT"
    expect_eq "docker when the key download fails: reports the change made before (prerequisites)" \
        "PHOENIX_CHANGED=1" "$(last_line "$OUT")"
}

test_docker_apt_fails() {
    new_guest docker-noapt
    guest_state apt-unavailable 'docker-ce'
    run_feature docker
    expect_eq "docker when apt cannot install: exit code 3" 3 "$RC"
    expect_contains "docker when apt cannot install: apt's message is in the output" \
        "E: Unable to locate package docker-ce" "$OUT"
}

test_docker_lock_timeout() {
    new_guest docker-locked
    guest_state locks '/var/lib/dpkg/lock-frontend'
    run_feature docker PHOENIX_APT_LOCK_TIMEOUT=1
    expect_eq "docker while another apt holds the lock: exit code 5 after the timeout" 5 "$RC"
    expect_contains "docker while another apt holds the lock: says so" \
        "[docker] ERROR: the apt/dpkg lock is still held after 1s" "$OUT"
    expect_eq "docker while another apt holds the lock: never ran apt-get" "" "$(changing_calls)"
}

test_docker_unsupported_os() {
    new_guest docker-fedora
    printf 'ID=fedora\nVERSION_ID=40\nPHOENIX_FAKE_GUEST=1\n' >"$GUEST/etc/os-release"
    run_feature docker
    expect_eq "docker on an unsupported OS: exit code 6" 6 "$RC"
}

# ------------------------------------------------------------------------------------------
# feature_install_base_setup.sh
# ------------------------------------------------------------------------------------------

test_base_setup_fresh_then_again() {
    new_guest base '{"vmid": 1001, "timezone": "Europe/Berlin", "user_config": {"username": "phoenix_user"}}'
    run_feature base_setup
    expect_eq "base_setup first run: exit code 0" 0 "$RC"
    expect_eq "base_setup first run: update, upgrade, packages, time zone" "apt-get update
apt-get upgrade
apt-get install ca-certificates curl gnupg jq htop unattended-upgrades
timedatectl set-timezone Europe/Berlin" "$(changing_calls)"
    expect_eq "base_setup first run: reports a change" "PHOENIX_CHANGED=1" "$(last_line "$OUT")"

    local before
    before="$(calls_count)"
    run_feature base_setup
    expect_eq "base_setup second run: exit code 0" 0 "$RC"
    expect_eq "base_setup second run: only update and an empty upgrade" "apt-get update
apt-get upgrade" "$(changing_calls $((before + 1)))"
    expect_eq "base_setup second run: reports no change" "PHOENIX_CHANGED=0" "$(last_line "$OUT")"

    guest_state upgradable 'curl'
    run_feature base_setup
    expect_eq "base_setup with a pending update: reports a change" "PHOENIX_CHANGED=1" "$(last_line "$OUT")"
}

test_base_setup_default_utc() {
    new_guest base-utc '{"vmid": 1001}'
    run_feature base_setup
    expect_eq "base_setup without a timezone field on an Etc/UTC guest: leaves it" "" \
        "$(changing_calls | grep '^timedatectl')"
}

test_base_setup_bad_timezone() {
    new_guest base-badtz '{"timezone": "Mars/Olympus_Mons"}'
    run_feature base_setup
    expect_eq "base_setup with an unknown time zone: exit code 2" 2 "$RC"
    expect_eq "base_setup with an unknown time zone: fails before any change" "" "$(changing_calls)"
}

# ------------------------------------------------------------------------------------------
# The stand-ins themselves
# ------------------------------------------------------------------------------------------

test_standins() {
    new_guest tools
    run_tool curl -fsSL -o "$GUEST/tmp/a b.txt" "https://example.com/it's"
    expect_eq "call log: one line per call, arguments quoted like ShellQuote" \
        "curl -fsSL -o '$GUEST/tmp/a b.txt' 'https://example.com/it'\\''s'" \
        "$(tail -n 1 "$GUEST/var/log/phoenix-guest/calls.log")"
    expect_eq "curl: writes a placeholder, no network" \
        "Phoenix guest stand-in: no network; placeholder for https://example.com/it's" "$(cat "$GUEST/tmp/a b.txt")"

    run_tool docker --version
    expect_eq "docker: absent before docker-ce is installed (exit 127)" 127 "$RC"
    run_tool dpkg -s docker-ce
    expect_eq "dpkg -s: not installed -> exit 1 with dpkg's message" \
        "1 dpkg-query: package 'docker-ce' is not installed and no information is available" \
        "$RC $(head -n 1 <<<"$OUT")"
    run_tool apt-get update
    run_tool apt-get install -y docker-ce
    expect_eq "apt-get: Docker's packages need Docker's repository" \
        "100 E: Unable to locate package docker-ce" "$RC $(tail -n 1 <<<"$OUT")"
    run_tool apt-get install curl
    expect_eq "apt-get: install without -y aborts" "1 Do you want to continue? [Y/n] Abort." "$RC $(tail -n 1 <<<"$OUT")"
    mkdir -p "$GUEST/etc/apt/sources.list.d"
    printf 'deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu noble stable\n' \
        >"$GUEST/etc/apt/sources.list.d/docker.list"
    run_tool apt-get update
    expect_eq "apt-get update: a Docker entry without its key is refused" \
        "100 E: The repository 'https://download.docker.com/linux/ubuntu noble InRelease' is not signed." \
        "$RC $(grep '^E:' <<<"$OUT")"
    mkdir -p "$GUEST/etc/apt/keyrings"
    run_tool curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o "$GUEST/etc/apt/keyrings/docker.asc"
    run_tool apt-get update
    run_tool apt-get install -y docker-ce
    expect_eq "apt-get install docker-ce: pulls its dependencies, recorded one per line" \
        "0 containerd.io docker-ce-cli docker-ce" "$RC $(paste -sd' ' "$GUEST/var/lib/phoenix-guest/packages")"
    run_tool dpkg -s docker-ce
    expect_eq "dpkg -s: installed -> Status line" "0 Status: install ok installed" "$RC $(sed -n 2p <<<"$OUT")"
    run_tool docker --version
    expect_eq "docker --version once installed" "Docker version 28.0.1, build 068a01e" "$OUT"
    run_tool systemctl is-active docker
    expect_eq "systemctl is-active before start" "3 inactive" "$RC $OUT"
    run_tool systemctl enable --now docker
    run_tool systemctl is-active docker
    expect_eq "systemctl enable --now starts it" "0 active" "$RC $OUT"
    run_tool systemctl start nginx
    expect_eq "systemctl start of an unknown unit" "5 Failed to start nginx.service: Unit nginx.service not found." "$RC $OUT"
    run_tool usermod -aG docker nobody_here
    expect_eq "usermod: unknown user like the real one" "6 usermod: user 'nobody_here' does not exist" "$RC $OUT"
    run_tool usermod -aG docker phoenix_user
    run_tool id -nG phoenix_user
    expect_eq "id -nG sees the membership usermod made" "phoenix_user docker" "$OUT"
    run_tool getent group docker
    expect_eq "getent group docker sees it too" "docker:x:999:phoenix_user" "$OUT"
    run_tool lsb_release -cs
    expect_eq "lsb_release -cs" "noble" "$OUT"
    run_tool gpg --dearmor -o "$GUEST/tmp/k.gpg" "$GUEST/etc/apt/keyrings/docker.asc"
    expect_eq "gpg --dearmor accepts the placeholder key" "0" "$RC"
    run_tool timedatectl set-timezone Nowhere/Special
    expect_eq "timedatectl refuses an unknown zone" \
        "1 Failed to set time zone: Invalid or not installed time zone 'Nowhere/Special'" "$RC $OUT"
}

test_standins_protect_etc() {
    # Without PHOENIX_FAKE_GUEST=1 in the guest's os-release, /etc/group is never edited.
    new_guest tools-real
    grep -v PHOENIX_FAKE_GUEST "$TOOLS/os-release" >"$GUEST/etc/os-release"
    guest_state groups 'docker:'
    cp "$GUEST/etc/group" "$WORK/group.before"
    run_tool usermod -aG docker phoenix_user
    expect_eq "usermod outside a fake guest: records, leaves /etc/group alone" \
        "0 docker:phoenix_user same" \
        "$RC $(cat "$GUEST/var/lib/phoenix-guest/groups") $(cmp -s "$WORK/group.before" "$GUEST/etc/group" && echo same)"
}

# ------------------------------------------------------------------------------------------
# Static checks
# ------------------------------------------------------------------------------------------

test_headers() {
    local f name
    for f in "$FEATURES"/feature_install_*.sh; do
        name="$(basename "$f")"
        expect_eq "$name: one '# Description:' line" 1 "$(grep -c '^# Description: .' "$f")"
        expect_eq "$name: set -euo pipefail" 1 "$(grep -cx 'set -euo pipefail' "$f")"
        expect_eq "$name: documents its exit codes" 1 "$(grep -c '^# Exit codes:' "$f")"
    done
}

test_shellcheck() {
    local files=() f
    if ! command -v shellcheck >/dev/null 2>&1; then
        fail "shellcheck" "shellcheck is not installed (apt-get install shellcheck)"
        return
    fi
    for f in "$FEATURES"/*.sh "$FEATURES"/*.sh.example "$TOOLS"/* "$HERE"/*.sh; do
        case "$(basename "$f")" in
            *.md | os-release | .gitattributes) continue ;;
        esac
        [[ -f "$f" ]] && files+=("$f")
    done
    OUT="$(cd "$TOOLS" && shellcheck -x -s bash "${files[@]}" 2>&1)"
    RC=$?
    if [[ "$RC" == 0 && -z "$OUT" ]]; then
        pass "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): no findings in ${#files[@]} files"
    else
        fail "shellcheck: findings" "${OUT//$'\n'/$'\n'        }"
    fi
}

# Each test runs in its own subshell and its own fake guest, so they run side by side (this
# suite is part of the xunit run and should stay well under 10 s); results print in this order.
TESTS=(
    test_shellcheck
    test_docker_fresh_then_again
    test_docker_missing_username
    test_docker_bad_json
    test_docker_without_python
    test_docker_env_username
    test_docker_invalid_username
    test_docker_user_absent
    test_docker_installed_user_missing_from_group
    test_docker_stopped_service
    test_docker_group_missing
    test_docker_key_download_fails
    test_docker_apt_fails
    test_docker_lock_timeout
    test_docker_unsupported_os
    test_base_setup_fresh_then_again
    test_base_setup_default_utc
    test_base_setup_bad_timezone
    test_standins
    test_standins_protect_etc
    test_headers
)
JOBS="${PHOENIX_TEST_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}"
start=$SECONDS
mkdir -p "$WORK/results"
n=0
for t in "${TESTS[@]}"; do
    while (($(jobs -rp | wc -l) >= JOBS)); do
        wait -n
    done
    ("$t") >"$WORK/results/$(printf '%03d' "$n")" 2>&1 &
    n=$((n + 1))
done
wait
for f in "$WORK"/results/*; do
    cat "$f"
    PASSED=$((PASSED + $(grep -c '^ok ' "$f")))
    FAILED=$((FAILED + $(grep -c '^FAILED ' "$f")))
done
printf 'time: %ss with %s parallel jobs\n' "$((SECONDS - start))" "$JOBS"
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[[ "$FAILED" == 0 ]]
