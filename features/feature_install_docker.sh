#!/usr/bin/env bash
# feature_install_docker.sh: Phoenix feature "docker".
# Description: Installs Docker Engine from Docker's apt repository, starts it, and adds the VM's user to the docker group.
# Context: user_config.username
#
# What it does (the design note's seven steps, on Ubuntu 24.04 "noble", Docker's current apt layout):
#   1. apt-get update
#   2. apt-get install -y ca-certificates curl
#   3. Docker's key -> /etc/apt/keyrings/docker.asc
#   4. /etc/apt/sources.list.d/docker.list:
#      deb [arch=<dpkg arch> signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu <codename> stable
#   5. apt-get update; apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
#   6. systemctl enable docker; systemctl start docker
#   7. usermod -aG docker <user>
#
# Idempotent: when Docker is installed (dpkg reports docker-ce installed, or `docker --version`
# works) it installs nothing; it only enables/starts the service and adds the user to the group
# when they are not already so (systemctl is-enabled / is-active, id -nG). A run that finds
# everything in place says "no change".
#
# Contract (about_Phoenix_Features):
#   PHOENIX_USERNAME       user to add to the docker group; else user_config.username from the context file
#   PHOENIX_CONTEXT_FILE   the VM's spec as JSON (default /tmp/vm_context.json); read without jq
#   PHOENIX_VMID, PHOENIX_VM_NAME  used in messages only
#   PHOENIX_APT_LOCK_TIMEOUT  seconds to wait for the apt/dpkg lock (default 300)
#   Last line of output: PHOENIX_CHANGED=1 when something was changed, PHOENIX_CHANGED=0 when not
#   (printed on failure too, telling whether anything was changed before the failure).
#
# Exit codes:
#   0  success (changed or not)
#   1  an unexpected command failed (the message names the line)
#   2  bad context: no user name in PHOENIX_USERNAME nor in the context file, unreadable or
#      invalid context file, or a user name that is not a valid login name
#   3  apt failure (update or install), or Docker still absent after installing
#   4  Docker's key could not be downloaded or is not a PGP key
#   5  the apt/dpkg lock was still held after PHOENIX_APT_LOCK_TIMEOUT seconds
#   6  unsupported OS (not Ubuntu or Debian, or no release codename)
#   7  systemctl could not enable or start docker
#   8  usermod could not add the user to the docker group
#   9  not run as root
#
# PHOENIX_GUEST_ROOT is for Phoenix's own shell tests only: a prefix for every guest path.
# It is never set in a real guest.

set -euo pipefail
set -o errtrace

readonly FEATURE="docker"
R="${PHOENIX_GUEST_ROOT:-}"
R="${R%/}"
readonly R
readonly CONTEXT_FILE="${PHOENIX_CONTEXT_FILE:-$R/tmp/vm_context.json}"
readonly LOCK_TIMEOUT="${PHOENIX_APT_LOCK_TIMEOUT:-300}"
readonly KEYRING="/etc/apt/keyrings/docker.asc"
readonly SOURCES_LIST="/etc/apt/sources.list.d/docker.list"
readonly DOCKER_PACKAGES=(docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin)
export DEBIAN_FRONTEND=noninteractive

CHANGED=0
USER_NAME=""
DISTRO=""
CODENAME=""

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
trap 'printf "PHOENIX_CHANGED=%s\n" "$CHANGED"' EXIT

# ---- context ----

# user_config.username from the context file. python3 when it works (exact JSON), else a bash
# regular expression over the flattened file (cloud images have no jq).
context_username() {
    local file="$1" flat re
    if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' >/dev/null 2>&1; then
        python3 - "$file" <<'PY'
import json, sys

def norm(k):
    return k.replace("_", "").lower()

try:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
except ValueError as e:
    sys.stderr.write("[docker] the context file is not valid JSON: %s\n" % e)
    sys.exit(3)
if not isinstance(spec, dict):
    sys.exit(0)
user = next((v for k, v in spec.items() if norm(k) == "userconfig"), None)
if isinstance(user, dict):
    name = next((v for k, v in user.items() if norm(k) == "username"), None)
    if isinstance(name, str):
        print(name)
PY
        return
    fi
    flat="$(tr '\r\n\t' '   ' <"$file")"
    re='"user_?config"[[:space:]]*:[[:space:]]*\{[^}]*"user_?name"[[:space:]]*:[[:space:]]*"([^"\\]*)"'
    shopt -s nocasematch
    if [[ "$flat" =~ $re ]]; then
        printf '%s\n' "${BASH_REMATCH[1]}"
    fi
    shopt -u nocasematch
}

# Sets USER_NAME (no command substitution: die must end the script with its own exit code).
resolve_username() {
    local name="${PHOENIX_USERNAME:-}" rc=0
    if [[ -z "$name" ]]; then
        if [[ ! -r "$CONTEXT_FILE" ]]; then
            die 2 "no user name: PHOENIX_USERNAME is empty and the context file $CONTEXT_FILE cannot be read"
        fi
        name="$(context_username "$CONTEXT_FILE")" || rc=$?
        if [[ "$rc" -ne 0 ]]; then
            die 2 "the context file $CONTEXT_FILE could not be read as JSON"
        fi
    fi
    if [[ -z "$name" ]]; then
        die 2 "no user name: set user_config.username in the VM's spec (context file $CONTEXT_FILE) or PHOENIX_USERNAME"
    fi
    if [[ ! "$name" =~ ^[a-z_][a-z0-9_.-]{0,31}$ ]]; then
        die 2 "'$name' is not a valid login name (lower-case letters, digits, '_', '-', '.'; at most 32)"
    fi
    USER_NAME="$name"
}

# ---- OS ----

os_release_value() {
    local key="$1" line v
    [[ -r "$R/etc/os-release" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        if [[ "$line" == "$key="* ]]; then
            v="${line#*=}"
            v="${v#\"}"
            v="${v%\"}"
            printf '%s' "$v"
            return 0
        fi
    done <"$R/etc/os-release"
}

# Sets DISTRO (ubuntu|debian) and CODENAME.
detect_os() {
    local id like
    id="$(os_release_value ID)"
    like="$(os_release_value ID_LIKE)"
    CODENAME="$(os_release_value VERSION_CODENAME)"
    case "$id" in
        ubuntu | debian) DISTRO="$id" ;;
        *)
            if [[ " $like " == *" ubuntu "* ]]; then
                DISTRO=ubuntu
                CODENAME="$(os_release_value UBUNTU_CODENAME)"
            else
                die 6 "unsupported OS '${id:-unknown}': Docker's apt repository is for Ubuntu and Debian"
            fi
            ;;
    esac
    if [[ -z "$CODENAME" ]] && command -v lsb_release >/dev/null 2>&1; then
        CODENAME="$(lsb_release -cs 2>/dev/null || true)"
    fi
    [[ -n "$CODENAME" ]] || die 6 "cannot tell the release codename (no VERSION_CODENAME in /etc/os-release, no lsb_release)"
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

docker_installed() {
    package_installed docker-ce || docker --version >/dev/null 2>&1
}

user_in_group() {
    local g
    for g in $(id -nG "$1" 2>/dev/null); do
        [[ "$g" == "$2" ]] && return 0
    done
    return 1
}

install_docker() {
    local arch line tmp had_prerequisites=0

    log "step 1/7: updating the package lists"
    apt_get update || die 3 "apt-get update failed"

    log "step 2/7: installing prerequisites (ca-certificates, curl)"
    if package_installed ca-certificates && package_installed curl; then
        had_prerequisites=1
    fi
    apt_get install -y ca-certificates curl || die 3 "installing ca-certificates and curl failed"
    [[ "$had_prerequisites" -eq 1 ]] || CHANGED=1

    log "step 3/7: adding Docker's key to $KEYRING"
    install -d -m 0755 "$R/etc/apt/keyrings"
    if [[ -s "$R$KEYRING" ]] && grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$R$KEYRING"; then
        log "Docker's key is already there"
    else
        tmp="$R$KEYRING.phoenix-tmp"
        if ! curl -fsSL "https://download.docker.com/linux/$DISTRO/gpg" -o "$tmp"; then
            rm -f "$tmp"
            die 4 "could not download Docker's key from https://download.docker.com/linux/$DISTRO/gpg (is the VM online?)"
        fi
        if ! grep -q 'BEGIN PGP PUBLIC KEY BLOCK' "$tmp"; then
            rm -f "$tmp"
            die 4 "what https://download.docker.com/linux/$DISTRO/gpg returned is not a PGP public key"
        fi
        mv -f "$tmp" "$R$KEYRING"
        chmod a+r "$R$KEYRING"
        CHANGED=1
    fi

    log "step 4/7: adding Docker's repository to $SOURCES_LIST"
    arch="$(dpkg --print-architecture)"
    line="deb [arch=$arch signed-by=$KEYRING] https://download.docker.com/linux/$DISTRO $CODENAME stable"
    if [[ -f "$R$SOURCES_LIST" ]] && [[ "$(cat "$R$SOURCES_LIST")" == "$line" ]]; then
        log "the repository entry is already there"
    else
        install -d -m 0755 "$R/etc/apt/sources.list.d"
        printf '%s\n' "$line" >"$R$SOURCES_LIST.phoenix-tmp"
        mv -f "$R$SOURCES_LIST.phoenix-tmp" "$R$SOURCES_LIST"
        CHANGED=1
        log "wrote: $line"
    fi

    log "step 5/7: installing Docker Engine (${DOCKER_PACKAGES[*]})"
    apt_get update || die 3 "apt-get update failed after adding Docker's repository"
    apt_get install -y "${DOCKER_PACKAGES[@]}" || die 3 "installing ${DOCKER_PACKAGES[*]} failed"
    CHANGED=1
    docker --version >/dev/null 2>&1 || die 3 "docker-ce was installed but 'docker --version' does not work"
}

ensure_service() {
    if systemctl is-enabled --quiet docker 2>/dev/null; then
        log "the docker service is already enabled"
    else
        systemctl enable docker || die 7 "systemctl enable docker failed"
        CHANGED=1
    fi
    if systemctl is-active --quiet docker 2>/dev/null; then
        log "the docker service is already running"
    else
        systemctl start docker || die 7 "systemctl start docker failed"
        CHANGED=1
    fi
}

main() {
    log "Phoenix feature '$FEATURE' on VM ${PHOENIX_VMID:-?} (${PHOENIX_VM_NAME:-unnamed})"
    if [[ -z "$R" && "$(id -u)" -ne 0 ]]; then
        die 9 "must run as root (Phoenix runs features as root through the guest agent)"
    fi
    resolve_username
    local user="$USER_NAME"

    if docker_installed; then
        log "steps 1-5: Docker is already installed ($(docker --version 2>/dev/null || echo 'docker-ce package present')); installing nothing"
        log "step 6/7: checking the docker service"
        ensure_service
    else
        detect_os
        install_docker
        # As the design note has it. docker-ce's own postinst may have done both already;
        # both commands are harmless then.
        log "step 6/7: enabling and starting the docker service"
        systemctl enable docker || die 7 "systemctl enable docker failed"
        systemctl start docker || die 7 "systemctl start docker failed"
    fi

    log "step 7/7: adding '$user' to the docker group"
    if ! id -u "$user" >/dev/null 2>&1; then
        warn "user '$user' does not exist in this VM (cloud-init creates it); not adding it to the docker group"
    elif user_in_group "$user" docker; then
        log "'$user' is already in the docker group"
    else
        usermod -aG docker "$user" || die 8 "usermod -aG docker $user failed"
        CHANGED=1
        log "added '$user' to the docker group (effective at the user's next login)"
    fi

    if [[ "$CHANGED" -eq 1 ]]; then
        log "done: Docker is installed and running"
    else
        log "no change: Docker was already installed and running, and '$user' already in the docker group"
    fi
}

main "$@"
