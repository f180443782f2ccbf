#!/usr/bin/env bash
# Runs one command inside a fake guest of Phoenix's fake Proxmox host, or stops the guest.
#
#   enter-guest.sh <guest-dir> <guest-tools-dir> -- <command> [args...]
#   enter-guest.sh --stop <guest-dir>
#
# The guest is this machine seen through a mount namespace of its own: /etc, /var, /opt,
# /usr/local, /root and /home are overlays whose writes land in <guest-dir>/upper, and /tmp is the
# guest's own folder. So one VM's files are invisible to another VM and to this machine, and they
# survive from one call to the next until the VM is destroyed. Recording stand-ins for what needs
# the internet or an init system (apt-get, curl, systemctl, ...) are copied into the guest's
# /usr/local/bin, first on the PATH, the first time the guest is entered. Needs root on Linux.
#
# Like a real VM, a guest has ONE file system that all its processes see: the first command made
# the namespace and mounted the overlays, and every later command, also one that runs while an
# earlier one still does, joins that namespace (nsenter). Two mounts of one overlay upper folder
# at once would be undefined. A holder process keeps the namespace while the guest "runs"; its pid
# and the namespace's identity are in <guest-dir>/../ns/holder (beside the guest's files, so a
# snapshot or a clone of them never carries it). --stop (the VM is stopped, rolled back, destroyed
# or overwritten by a clone) kills every process of the namespace, as powering off kills a guest's
# processes; the next command makes a new one. The holder ends by itself when the guest folder is
# deleted. A lock (<guest-dir>/../ns/lock) keeps two commands from making two namespaces at once.
set -euo pipefail

usage() {
    echo "usage: enter-guest.sh <guest-dir> <tools-dir> -- <command> [args...] | enter-guest.sh --stop <guest-dir>" >&2
    exit 2
}

stop=0
if [[ ${1:-} == --stop ]]; then
    [[ $# -eq 2 ]] || usage
    stop=1 guest=$2
else
    [[ $# -ge 4 && $3 == "--" ]] || usage
    guest=$1 tools=$2
    shift 3
fi
guest=${guest%/}
ns=${guest%/*}/ns
if [[ $stop == 1 && ! -d $ns ]]; then exit 0; fi
mkdir -p "$ns"

# The lock is fd 8; no process of the guest keeps it (each start below closes it).
exec 8>"$ns/lock"
flock 8

self=$(readlink /proc/self/ns/mnt)

# Prints the pid of the guest's holder when it is alive and holds a namespace other than this machine's.
holder() {
    local hp hn
    [[ -s $ns/holder ]] || return 1
    read -r hp hn <"$ns/holder" || return 1
    [[ -n $hn && $hn != "$self" && $(readlink "/proc/$hp/ns/mnt" 2>/dev/null) == "$hn" ]] || return 1
    echo "$hp"
}

if [[ $stop == 1 ]]; then
    if holder >/dev/null; then
        read -r _ hn <"$ns/holder"
        for _ in $(seq 1 100); do
            left=0
            for p in /proc/[0-9]*; do
                [[ $(readlink "$p/ns/mnt" 2>/dev/null) == "$hn" ]] || continue
                kill -KILL "${p#/proc/}" 2>/dev/null || true
                left=1
            done
            [[ $left == 0 ]] && break
            sleep 0.05
        done
    fi
    rm -f "$ns/holder" "$ns/ready"
    exit 0
fi

overlays=(etc var opt usr/local root home)
# Every time, not only the first: a clone's guest folder is copied file by file from its source's, so the empty
# folders an overlay needs (work/<dir>, an upper/<dir> nothing was written to) are not there yet.
for d in "${overlays[@]}"; do mkdir -p "$guest/upper/$d" "$guest/work/$d"; done
if [[ ! -d $guest/tmp ]]; then
    mkdir -p "$guest/tmp"
    chmod 1777 "$guest/tmp"
fi
if [[ ! -e $guest/.ready ]]; then
    mkdir -p "$guest/upper/usr/local/bin" "$guest/upper/etc"
    if [[ -d $tools ]]; then
        for t in "$tools"/*; do
            [[ -f $t ]] || continue
            case $t in
                */os-release) cp "$t" "$guest/upper/etc/os-release" ;;
                *.md) ;;
                *) install -m 755 "$t" "$guest/upper/usr/local/bin/" ;;
            esac
        done
    fi
    # The users cloud-init would have made at first boot (the fake guest has no cloud-init).
    for u in ${PHOENIX_GUEST_USERS:-}; do
        printf '%s\n' "$u" >>"$guest/users"
    done
    touch "$guest/.ready"
fi

if ! hp=$(holder); then
    rm -f "$ns/holder" "$ns/ready"
    # The holder: a new mount namespace (unshare without --fork, so its pid is the namespace's first process),
    # the overlays and /tmp mounted, "ready" written through a descriptor of the ns folder (which /tmp may
    # cover now), then a wait that ends when the guest folder is deleted. It keeps no descriptor of its
    # callers (a lock a test run holds, a pipe someone waits on).
    # The inner script is for the namespace's bash, so its $-expressions must not expand here.
    # shellcheck disable=SC2016
    setsid unshare --mount --propagation private -- /bin/bash -c '
set -e
g=$1
exec 3<"$g" 4<"$2"
for f in /proc/$$/fd/*; do f=${f##*/}; if [ "$f" -gt 4 ]; then eval "exec $f>&-" 2>/dev/null || true; fi; done
for d in etc var opt usr/local root home; do
    [ -d "/$d" ] || continue
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$g/upper/$d,workdir=$g/work/$d" "/$d"
done
# Before /tmp is covered: the guest folder may itself live under /tmp.
if [ -f "$g/users" ]; then
    while read -r u; do
        /usr/bin/getent passwd "$u" >/dev/null || /usr/sbin/useradd -m -s /bin/bash "$u"
    done <"$g/users"
    rm -f "$g/users"
fi
mount --bind "$g/tmp" /tmp
echo "$$" >/proc/$$/fd/4/ready
cd /
set +e
while :; do
    case $(readlink /proc/$$/fd/3) in *" (deleted)") exit 0 ;; esac
    sleep 2
done
' enter-guest-holder "$guest" "$ns" </dev/null >/dev/null 2>"$ns/holder.err" 8>&- &
    hp=$!
    for _ in $(seq 1 200); do
        [[ -s $ns/ready ]] && break
        kill -0 "$hp" 2>/dev/null || break
        sleep 0.05
    done
    if [[ ! -s $ns/ready ]]; then
        echo "enter-guest: the guest's namespace could not be made: $(cat "$ns/holder.err" 2>/dev/null)" >&2
        kill -KILL "$hp" 2>/dev/null || true
        exit 1
    fi
    hp=$(cat "$ns/ready")
    printf '%s %s\n' "$hp" "$(readlink "/proc/$hp/ns/mnt")" >"$ns/holder"
fi
exec 8>&-

# The inner script is for the namespace's bash, so its $-expressions must not expand here.
# shellcheck disable=SC2016
exec nsenter --mount="/proc/$hp/ns/mnt" -- /bin/bash -c '
unset PHOENIX_GUEST_USERS
cd /root 2>/dev/null || cd /
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
exec "$@"
' enter-guest "$@"
