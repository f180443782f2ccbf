#!/usr/bin/env bash
# Runs one command inside a fake guest of Phoenix's fake Proxmox host.
#
#   enter-guest.sh <guest-dir> <guest-tools-dir> -- <command> [args...]
#
# The guest is this machine seen through a private mount namespace: /etc, /var, /opt, /usr/local,
# /root and /home are overlays whose writes land in <guest-dir>/upper, and /tmp is the guest's own
# folder. So one VM's files are invisible to another VM and to this machine, and they survive
# from one call to the next until the VM is destroyed. Recording stand-ins for what needs the
# internet or an init system (apt-get, curl, systemctl, ...) are copied into the guest's
# /usr/local/bin, first on the PATH, the first time the guest is entered. Needs root on Linux.
set -euo pipefail

[[ $# -ge 4 && $3 == "--" ]] || { echo "usage: enter-guest.sh <guest-dir> <tools-dir> -- <command> [args...]" >&2; exit 2; }
guest=$1 tools=$2
shift 3

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

export PHOENIX_GUEST_DIR=$guest
# The inner script is for the namespace's bash, so its $-expressions must not expand here.
# shellcheck disable=SC2016
exec unshare --mount --propagation private --fork -- /bin/bash -c '
set -e
g=$PHOENIX_GUEST_DIR
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
unset PHOENIX_GUEST_DIR
cd /root 2>/dev/null || cd /
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
exec "$@"
' enter-guest "$@"
