#!/usr/bin/env bash
# One guest process of the fake host, started detached by phoenix-sim's isolated guest runner:
#
#   guest-proc.sh <proc-dir> <guest-fs-dir> <guest-tools-dir> -- <command> [args...]
#
# Feeds <proc-dir>/in (when present) to the command run inside the guest (enter-guest.sh), keeps its
# output in <proc-dir>/out and <proc-dir>/err, and writes its exit status to <proc-dir>/exit last, in
# one write of a line: a reader that finds the file without its newline reads it again later.
# Later `qm guest exec-status` calls read them. One bash, no subshell: its only child is nsenter,
# which becomes the command (see the cost note in enter-guest.sh).
set -uo pipefail
[[ $# -ge 5 && $4 == "--" ]] || { echo "usage: guest-proc.sh <proc-dir> <guest-fs> <tools> -- <command> [args...]" >&2; exit 2; }
proc=$1 fs=$2 tools=$3
shift 4
# Detached from the caller's standard streams (the SSH channel of the qm call): a command that goes on
# running after `qm guest exec --synchronous 0` returned must not hold that session open.
exec </dev/null >/dev/null 2>&1
# shellcheck source=SCRIPTDIR/enter-guest.sh
. "${BASH_SOURCE[0]%/*}/enter-guest.sh"
input=/dev/null
[[ -f $proc/in ]] && input=$proc/in
{ eg_enter "$fs" "$tools" && eg_run "$@"; } <"$input" >"$proc/out" 2>"$proc/err"
echo "$?" >"$proc/exit"
