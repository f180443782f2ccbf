#!/usr/bin/env bash
# feature_install_base_setup.sh: Phoenix feature "base_setup".
# Description: Applies pending package updates, installs common tools (curl, ca-certificates, gnupg, jq, htop, unattended-upgrades) and sets the time zone.
# Context: timezone
#
# What it does:
#   1. apt-get update
#   2. apt-get upgrade -y (non-interactive, keeping changed config files)
#   3. apt-get install -y for those of the common packages that are missing
#   4. the time zone from the context file's top-level "timezone" field (default UTC), through
#      timedatectl, or /etc/timezone and /etc/localtime where there is no systemd
#
# Idempotent: packages already installed are not installed again, a time zone already set is
# not set again, and an upgrade with nothing to upgrade changes nothing. Such a run says
# "no change". (Steps 1 and 2 do run every time: fetching updates is this feature's job.)
#
# Contract (about_Phoenix_Features):
#   PHOENIX_CONTEXT_FILE   the VM's spec as JSON (default /tmp/vm_context.json); optional here
#   PHOENIX_VMID, PHOENIX_VM_NAME  used in messages only
#   PHOENIX_APT_LOCK_TIMEOUT  seconds to wait for the apt/dpkg lock (default 300)
#   Last line of output: PHOENIX_CHANGED=1 when something was changed, PHOENIX_CHANGED=0 when not
#   (printed on failure too, telling whether anything was changed before the failure).
#
# Exit codes:
#   0  success (changed or not)
#   1  an unexpected command failed (the message names the line)
#   2  bad context: the context file is not valid JSON, or "timezone" is not a known time zone
#   3  apt failure (update, upgrade or install)
#   5  the apt/dpkg lock was still held after PHOENIX_APT_LOCK_TIMEOUT seconds
#   7  the time zone could not be set
#   9  not run as root
#
# PHOENIX_GUEST_ROOT is for Phoenix's own shell tests only: a prefix for every guest path.
# It is never set in a real guest.

set -euo pipefail
set -o errtrace

readonly FEATURE="base_setup"
R="${PHOENIX_GUEST_ROOT:-}"
R="${R%/}"
readonly R
readonly CONTEXT_FILE="${PHOENIX_CONTEXT_FILE:-$R/tmp/vm_context.json}"
readonly LOCK_TIMEOUT="${PHOENIX_APT_LOCK_TIMEOUT:-300}"
readonly PACKAGES=(ca-certificates curl gnupg jq htop unattended-upgrades)
readonly DEFAULT_TIMEZONE="UTC"
export DEBIAN_FRONTEND=noninteractive

CHANGED=0
TIMEZONE=""
UPGRADE_LOG=""

log() { printf '[%s] %s\n' "$FEATURE" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "$FEATURE" "$*" >&2; }
die() {
    local code="$1"
    shift
    printf '[%s] ERROR: %s\n' "$FEATURE" "$*" >&2
    exit "$code"
}

on_error() {
    local rc="$1" line="$2" cmd="$3"
    # Inside $(...) the outer shell reports the failure; report once.
    if [[ "$BASH_SUBSHELL" -eq 0 ]]; then
        printf '[%s] ERROR: unexpected failure (exit %s) at line %s: %s\n' "$FEATURE" "$rc" "$line" "$cmd" >&2
    fi
    exit 1
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR
on_exit() {
    if [[ -n "$UPGRADE_LOG" ]]; then rm -f "$UPGRADE_LOG"; fi
    printf 'PHOENIX_CHANGED=%s\n' "$CHANGED"
}
trap on_exit EXIT

# ---- context ----

# The top-level "timezone" of the context file. python3 when it works (exact JSON), else a bash
# regular expression over the flattened file (cloud images have no jq).
context_timezone() {
    local file="$1" flat re
    if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' >/dev/null 2>&1; then
        python3 - "$file" <<'PY'
import json, sys

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
except ValueError as e:
    sys.stderr.write("[base_setup] the context file is not valid JSON: %s\n" % e)
    sys.exit(3)
if isinstance(spec, dict):
    tz = next((v for k, v in spec.items() if k.lower() == "timezone"), None)
    if isinstance(tz, str):
        print(tz)
PY
        return
    fi
    flat="$(tr '\r\n\t' '   ' <"$file")"
    re='"timezone"[[:space:]]*:[[:space:]]*"([^"\\]*)"'
    shopt -s nocasematch
    if [[ "$flat" =~ $re ]]; then
        printf '%s\n' "${BASH_REMATCH[1]}"
    fi
    shopt -u nocasematch
}

# Sets TIMEZONE.
resolve_timezone() {
    local tz="" rc=0
    if [[ -r "$CONTEXT_FILE" ]]; then
        tz="$(context_timezone "$CONTEXT_FILE")" || rc=$?
        [[ "$rc" -eq 0 ]] || die 2 "the context file $CONTEXT_FILE could not be read as JSON"
    else
        warn "no context file at $CONTEXT_FILE; using the defaults"
    fi
    if [[ -z "$tz" ]]; then
        tz="$DEFAULT_TIMEZONE"
    fi
    if [[ ! "$tz" =~ ^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$ ]]; then
        die 2 "'$tz' is not a time zone name (expected a name like Europe/Berlin or UTC)"
    fi
    if [[ -d /usr/share/zoneinfo && ! -f "/usr/share/zoneinfo/$tz" ]]; then
        die 2 "unknown time zone '$tz' (not in /usr/share/zoneinfo)"
    fi
    TIMEZONE="$tz"
}

# ---- apt ----

# cloud-init and unattended-upgrades hold the lock on a fresh VM; wait instead of failing. apt's
# own DPkg::Lock::Timeout covers the dpkg lock; this loop also covers the lists lock of `update`.
wait_for_apt_lock() {
    local waited=0
    local locks=("$R/var/lib/dpkg/lock-frontend" "$R/var/lib/dpkg/lock" "$R/var/lib/apt/lists/lock" "$R/var/cache/apt/archives/lock")
    command -v fuser >/dev/null 2>&1 || return 0
    while fuser "${locks[@]}" >/dev/null 2>&1; do
        if ((waited >= LOCK_TIMEOUT)); then
            die 5 "the apt/dpkg lock is still held after ${LOCK_TIMEOUT}s (another apt, cloud-init or unattended-upgrades is running); try again later"
        fi
        if ((waited % 15 == 0)); then
            log "waiting for the apt/dpkg lock (held by another process), ${waited}s of ${LOCK_TIMEOUT}s"
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

apt_get() {
    wait_for_apt_lock
    apt-get -q -o "DPkg::Lock::Timeout=$LOCK_TIMEOUT" -o Dpkg::Use-Pty=0 "$@"
}

# dpkg -s also succeeds for a removed package whose config files remain, so read the Status.
# (Not `dpkg -s | grep -q`: under pipefail, grep leaving early makes dpkg fail with SIGPIPE.)
package_installed() {
    local status
    status="$(dpkg -s "$1" 2>/dev/null)" || return 1
    [[ $'\n'"$status"$'\n' == *$'\nStatus: install ok installed\n'* ]]
}

# ---- time zone ----

current_timezone() {
    local tz=""
    if command -v timedatectl >/dev/null 2>&1; then
        tz="$(timedatectl show -p Timezone --value 2>/dev/null || true)"
    fi
    if [[ -z "$tz" && -r "$R/etc/timezone" ]]; then
        tz="$(head -n 1 "$R/etc/timezone")"
    fi
    if [[ -z "$tz" && -L "$R/etc/localtime" ]]; then
        tz="$(readlink "$R/etc/localtime")"
        tz="${tz#*zoneinfo/}"
    fi
    printf '%s' "$tz"
}

# UTC has several names; treat them as one so that a guest on Etc/UTC is not "changed" to UTC.
same_timezone() {
    local a="$1" b="$2"
    case "$a" in UTC | Etc/UTC | Etc/UCT | UCT | Etc/Universal | Universal | Zulu | Etc/Zulu) a=UTC ;; esac
    case "$b" in UTC | Etc/UTC | Etc/UCT | UCT | Etc/Universal | Universal | Zulu | Etc/Zulu) b=UTC ;; esac
    [[ "$a" == "$b" ]]
}

set_timezone() {
    local tz="$1"
    if command -v timedatectl >/dev/null 2>&1 && timedatectl show -p Timezone --value >/dev/null 2>&1; then
        timedatectl set-timezone "$tz" || die 7 "timedatectl set-timezone $tz failed"
    else
        # No systemd (a container): the Debian way.
        printf '%s\n' "$tz" >"$R/etc/timezone" || die 7 "cannot write /etc/timezone"
        ln -sfn "/usr/share/zoneinfo/$tz" "$R/etc/localtime" || die 7 "cannot link /etc/localtime"
    fi
}

main() {
    local out upgraded missing=() p current
    log "Phoenix feature '$FEATURE' on VM ${PHOENIX_VMID:-?} (${PHOENIX_VM_NAME:-unnamed})"
    if [[ -z "$R" && "$(id -u)" -ne 0 ]]; then
        die 9 "must run as root (Phoenix runs features as root through the guest agent)"
    fi
    resolve_timezone

    log "step 1/4: updating the package lists"
    apt_get update || die 3 "apt-get update failed"

    log "step 2/4: applying pending updates"
    # Streamed through tee (Phoenix follows the log live) and kept to count the upgrades. The
    # lock wait runs here, outside the pipeline, so that its own exit code survives.
    wait_for_apt_lock
    UPGRADE_LOG="$(mktemp "${TMPDIR:-/tmp}/phoenix-base-setup.XXXXXX")"
    if ! apt-get -q -o "DPkg::Lock::Timeout=$LOCK_TIMEOUT" -o Dpkg::Use-Pty=0 upgrade -y \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold 2>&1 | tee "$UPGRADE_LOG"; then
        die 3 "apt-get upgrade failed"
    fi
    out="$(cat "$UPGRADE_LOG")"
    upgraded="$(sed -n 's/^\([0-9][0-9]*\) upgraded,.*/\1/p' <<<"$out" | tail -n 1)"
    if [[ "${upgraded:-0}" -gt 0 ]]; then
        CHANGED=1
        log "upgraded $upgraded package(s)"
    else
        log "nothing to upgrade"
    fi

    log "step 3/4: common packages (${PACKAGES[*]})"
    for p in "${PACKAGES[@]}"; do
        package_installed "$p" || missing+=("$p")
    done
    if [[ "${#missing[@]}" -eq 0 ]]; then
        log "all already installed"
    else
        apt_get install -y "${missing[@]}" || die 3 "installing ${missing[*]} failed"
        CHANGED=1
    fi

    log "step 4/4: time zone $TIMEZONE"
    current="$(current_timezone)"
    if [[ -n "$current" ]] && same_timezone "$current" "$TIMEZONE"; then
        log "the time zone is already $current"
    else
        set_timezone "$TIMEZONE"
        CHANGED=1
        log "time zone set to $TIMEZONE (was ${current:-unknown})"
    fi

    if [[ "$CHANGED" -eq 1 ]]; then
        log "done"
    else
        log "no change: up to date, common packages present, time zone $TIMEZONE"
    fi
}

main "$@"
