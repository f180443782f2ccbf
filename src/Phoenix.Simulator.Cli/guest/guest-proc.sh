#!/usr/bin/env bash
# One guest process of the fake host, started detached by phoenix-sim's isolated guest runner:
#
#   guest-proc.sh <proc-dir> <guest-fs-dir> <guest-tools-dir> -- <command> [args...]
#
# Feeds <proc-dir>/in (when present) to the command run inside the guest, keeps its output in
# <proc-dir>/out and <proc-dir>/err, and writes its exit status to <proc-dir>/exit last (by rename,
# so a reader never sees a partial file). Later `qm guest exec-status` calls read them.
set -uo pipefail
[[ $# -ge 5 && $4 == "--" ]] || { echo "usage: guest-proc.sh <proc-dir> <guest-fs> <tools> -- <command> [args...]" >&2; exit 2; }
proc=$1 fs=$2 tools=$3
shift 4
here=$(cd "$(dirname "$0")" && pwd)
input=/dev/null
[[ -f $proc/in ]] && input=$proc/in
bash "$here/enter-guest.sh" "$fs" "$tools" -- "$@" <"$input" >"$proc/out" 2>"$proc/err"
echo "$?" >"$proc/exit.tmp"
mv "$proc/exit.tmp" "$proc/exit"
