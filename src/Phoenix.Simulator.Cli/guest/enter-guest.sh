#!/usr/bin/env bash
# Runs one command inside a fake guest of Phoenix's fake Proxmox host, or stops the guest.
#
#   enter-guest.sh <guest-dir> <guest-tools-dir> -- <command> [args...]
#   enter-guest.sh --stop <guest-dir>
#
# Sourced (guest-proc.sh does), it only defines the functions eg_enter, eg_run and eg_stop below.
#
# The guest is this machine seen through a mount namespace of its own: /etc, /var, /opt,
# /usr/local, /root and /home are overlays whose writes land in <guest-dir>/upper, and /tmp is the
# guest's own folder. So one VM's files are invisible to another VM and to this machine, and they
# survive from one call to the next until the VM is destroyed. Recording stand-ins for what needs
# the internet or an init system (apt-get, curl, systemctl, ...) are copied into the guest's
# /usr/local/bin, first on the PATH, the first time the guest is entered. Needs root on Linux.
# Commands start in /root with PATH and HOME of root's login.
#
# Like a real VM, a guest has ONE file system that all its processes see: the first command made
# the namespace and mounted the overlays, and every later command, also one that runs while an
# earlier one still does, joins that namespace (nsenter). Two mounts of one overlay upper folder
# at once would be undefined. A holder process keeps the namespace while the guest "runs"; its pid
# is in <guest-dir>/../ns/holder (beside the guest's files, so a snapshot or a clone of them never
# carries it), and it is that guest's holder only while its descriptor 3 is the guest folder and
# its namespace is not this machine's (a pid that was reused by any other process fails that).
# --stop (the VM is stopped, rolled back, destroyed or overwritten by a clone) kills every process
# of the namespace, as powering off kills a guest's processes; the next command makes a new one.
# The holder ends by itself when the guest folder is deleted. A lock (<guest-dir>/../ns/lock) keeps
# two commands from making two namespaces at once, and --stop from racing a namespace being made.
#
# Cost: every process started costs the fake host several milliseconds of CPU, so a command that
# finds its guest's holder alive (one read and two stats, no lock) starts only nsenter, which
# becomes the command; the lock, the folders, the stand-ins and the holder are only for the first
# command after a start. The holder starts nothing while it waits: it wakes every 2 s to look
# whether the guest folder is still there, with shell builtins only.
eg_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
eg_overlays=(etc var opt usr/local root home)

# eg_holder <guest-dir> <ns-dir>: true, with eg_hp set to its pid, when the guest's holder is alive.
eg_holder() {
    local hp
    [[ -s $2/holder ]] && read -r hp _ <"$2/holder" && [[ $hp =~ ^[1-9][0-9]*$ ]] || return 1
    [[ /proc/$hp/fd/3 -ef $1 && ! /proc/$hp/ns/mnt -ef /proc/self/ns/mnt ]] || return 1
    eg_hp=$hp
}

# eg_make <guest-dir> <tools-dir> <ns-dir>: under the lock, makes the namespace unless a command that
# held the lock before made it; sets eg_hp. (Sourced, errexit is not on: every step is checked.)
eg_make() {
    local rc=0
    mkdir -p "$3" || return 1
    # The lock is fd 8; no process of the guest keeps it (each start below closes it).
    exec 8>"$3/lock" || return 1
    flock 8 || rc=1
    [[ $rc != 0 ]] || eg_holder "$1" "$3" || eg_make_locked "$@" || rc=1
    exec 6<&- 8>&-
    return "$rc"
}

eg_make_locked() {
    local guest=$1 tools=$2 ns=$3 d t hp i
    local -a dirs=() bins=()
    # Emptied, not removed (no rm to start): an empty holder or ready file counts as none.
    { : >"$ns/holder" && : >"$ns/ready"; } || return 1
    # Every time, not only the first: a clone's guest folder is copied file by file from its source's, so the
    # empty folders an overlay needs (work/<dir>, an upper/<dir> nothing was written to) are not there yet.
    for d in "${eg_overlays[@]}"; do dirs+=("$guest/upper/$d" "$guest/work/$d"); done
    [[ -d $guest/tmp ]] || { mkdir -p "$guest/tmp" && chmod 1777 "$guest/tmp"; } || return 1
    mkdir -p "${dirs[@]}" "$guest/upper/usr/local/bin" || return 1
    if [[ ! -e $guest/.ready ]]; then
        if [[ -d $tools ]]; then
            for t in "$tools"/*; do
                [[ -f $t ]] || continue
                case $t in
                    */os-release) cp "$t" "$guest/upper/etc/os-release" || return 1 ;;
                    *.md) ;;
                    *) bins+=("$t") ;;
                esac
            done
            [[ ${#bins[@]} -eq 0 ]] || install -m 755 "${bins[@]}" "$guest/upper/usr/local/bin/" || return 1
        fi
        # The users cloud-init would have made at first boot (the fake guest has no cloud-init).
        for d in ${PHOENIX_GUEST_USERS:-}; do
            printf '%s\n' "$d" >>"$guest/users" || return 1
        done
        : >"$guest/.ready" || return 1
    fi
    [[ -p $ns/wake ]] || mkfifo "$ns/wake" || return 1
    # The fifo that nobody writes, open here too: reading it with a timeout is a wait that starts no sleep.
    exec 6<>"$ns/wake" || return 1

    # The holder: a new mount namespace (unshare without --fork, so its pid is the namespace's first process),
    # the overlays and /tmp mounted, "ready" written through a descriptor of the ns folder (which /tmp may
    # cover now), then a wait that ends when the guest folder is deleted: it reads the ns folder's fifo
    # (nobody writes it) with a 2 s timeout, then looks with a builtin whether the guest folder still has
    # its upper folder (a deleted folder has no entries), so it starts no process while it waits. Its
    # working folder is the guest's /root, where nsenter -w starts each command. It keeps no descriptor
    # of its callers (a lock a test run holds, a pipe someone waits on).
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
exec 5<>/proc/$$/fd/4/wake
cd /root 2>/dev/null || cd /
echo "$$" >/proc/$$/fd/4/ready
set +e
while [[ -e /proc/$$/fd/3/upper ]]; do
    read -r -t 2 -u 5 _
done
exit 0
' enter-guest-holder "$guest" "$ns" </dev/null >/dev/null 2>"$ns/holder.err" 6<&- 8>&- &
    hp=$!
    for ((i = 0; i < 200; i++)); do
        [[ -s $ns/ready ]] && break
        kill -0 "$hp" 2>/dev/null || break
        read -r -t 0.05 -u 6 _
    done
    if [[ ! -s $ns/ready ]]; then
        printf 'enter-guest: the guest'\''s namespace could not be made: %s\n' "$(<"$ns/holder.err")" >&2
        kill -KILL "$hp" 2>/dev/null
        return 1
    fi
    read -r hp <"$ns/ready" && printf '%s\n' "$hp" >"$ns/holder" && eg_holder "$guest" "$ns"
}

# eg_enter <guest-dir> <tools-dir>: sets eg_hp to the pid of the guest's holder, making the namespace if needed.
eg_enter() {
    local guest=${1%/}
    eg_holder "$guest" "${guest%/*}/ns" || eg_make "$guest" "$2" "${guest%/*}/ns"
}

# eg_run <command> [args...]: runs the command in the namespace of eg_enter's holder, in its /root, as root's
# login would (nsenter execs it there: no shell in between).
eg_run() {
    unset PHOENIX_GUEST_USERS OLDPWD
    PATH=$eg_path HOME=/root PWD=/root nsenter --target "$eg_hp" --mount --wd -- "$@"
}

# eg_stop <guest-dir>: kills every process of the guest's namespace.
eg_stop() {
    local guest=${1%/} ns p i left
    ns=${guest%/*}/ns
    [[ -d $ns ]] || return 0
    exec 8>"$ns/lock" || return 1
    flock 8 || return 1
    if eg_holder "$guest" "$ns"; then
        # The namespace, held open on fd 7 while its processes die, is what each process is compared with.
        exec 7<"/proc/$eg_hp/ns/mnt"
        for ((i = 0; i < 100; i++)); do
            left=0
            for p in /proc/[0-9]*; do
                [[ $p/ns/mnt -ef /proc/self/fd/7 ]] || continue
                kill -KILL "${p#/proc/}" 2>/dev/null || true
                left=1
            done
            [[ $left == 0 ]] && break
            sleep 0.05
        done
        exec 7<&-
    fi
    rm -f "$ns/holder" "$ns/ready" || return 1
    exec 8>&-
}

eg_usage() {
    echo "usage: enter-guest.sh <guest-dir> <tools-dir> -- <command> [args...] | enter-guest.sh --stop <guest-dir>" >&2
    exit 2
}

# Sourced: the functions only.
[[ ${BASH_SOURCE[0]} == "$0" ]] || return 0

set -euo pipefail
if [[ ${1:-} == --stop ]]; then
    [[ $# -eq 2 ]] || eg_usage
    eg_stop "$2" || exit 1
    exit 0
fi
[[ $# -ge 4 && $3 == "--" ]] || eg_usage
eg_enter "$1" "$2" || exit 1
shift 3
unset PHOENIX_GUEST_USERS OLDPWD
PATH=$eg_path HOME=/root PWD=/root exec nsenter --target "$eg_hp" --mount --wd -- "$@"
