#!/usr/bin/env bash
# Starts a fake Proxmox VE host: Phoenix's simulator behind a real OpenSSH server on 127.0.0.1.
#
#   tests/FakeHost/start-fakehost.sh --bin <dir with phoenix-sim.dll> [--state <dir>] [--node <name>] [--empty]
#
# `qm`, `pvesm`, `pvesh` and `hostname` on the PATH of SSH commands run the simulator CLI, all on
# one state folder. Prints one JSON line:
#   {"host":..,"port":..,"user":..,"keyFile":..,"hostKeyFingerprint":..,"stateDir":..,"pid":..}
# `pid` is a supervisor: killing it (`kill <pid>`: SIGTERM, or SIGINT/SIGHUP) stops sshd and every
# session it started. SIGKILL cannot be caught: after `kill -9 <pid>` stop sshd by the pid file in
# <root>/sshd.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin="" state="" node="pve" empty=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) bin=$2; shift 2 ;;
        --state) state=$2; shift 2 ;;
        --node) node=$2; shift 2 ;;
        --empty) empty=1; shift ;;
        *) echo "start-fakehost: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -n $bin && -f $bin/phoenix-sim.dll ]] || { echo "start-fakehost: --bin must name the folder of phoenix-sim.dll (build first)" >&2; exit 2; }
bin=$(cd "$bin" && pwd)
dotnet_bin=$(command -v dotnet) || { echo "start-fakehost: dotnet not found" >&2; exit 1; }
dotnet_bin=$(readlink -f "$dotnet_bin")

# Guests really run their commands, each in its own mount namespace, where that is possible (root on
# Linux); elsewhere phoenix-sim's recording guest answers and says so.
runner='Phoenix.Simulator.Cli.IsolatedGuestRunner, phoenix-sim'

root=$(mktemp -d "${TMPDIR:-/tmp}/phoenix-fakehost.XXXXXX")
[[ -n $state ]] || state="$root/state"
mkdir -p "$state" "$root/path" "$root/sshd"
state=$(cd "$state" && pwd)

# The wrappers carry the state folder and the node; nothing else of this machine leaks into them.
for cmd in qm pvesm pvesh; do
    cat >"$root/path/$cmd" <<WRAP
#!/bin/sh
PHOENIX_SIM_STATE='$state' PHOENIX_SIM_GUEST_RUNNER='$runner' PHOENIX_SIM_DROP_KILLS_PARENT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 exec '$dotnet_bin' '$bin/phoenix-sim.dll' $cmd "\$@"
WRAP
    chmod 755 "$root/path/$cmd"
done
# Proxmox names the node after the host name; Phoenix reads it with `hostname`.
printf '#!/bin/sh\necho %s\n' "$node" >"$root/path/hostname"
chmod 755 "$root/path/hostname"

# `local` lives inside the state folder, so files that sshd receives over SFTP at the paths
# `pvesm path` prints are the files the simulator reads.
init_args=(init --node "$node" --local-path "$state/node/var/lib/vz")
[[ $empty -eq 1 ]] && init_args+=(--empty)
PHOENIX_SIM_STATE="$state" "$dotnet_bin" "$bin/phoenix-sim.dll" "${init_args[@]}" >/dev/null

sshd_json=$(bash "$repo/tools/test-sshd.sh" start "$root/sshd" --path-prepend "$root/path")
sshd_pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' <<<"$sshd_json")

# The supervisor: when it is told to stop, it stops sshd, its sessions and whatever they run.
(
    set +e # the trap must run to its end even when there is nothing left to kill
    trap 'pkill -TERM -P "$sshd_pid" 2>/dev/null; kill -TERM "$sshd_pid" 2>/dev/null; exit 0' TERM INT HUP
    while kill -0 "$sshd_pid" 2>/dev/null; do
        sleep 1 &
        wait $! || true
    done
) </dev/null >/dev/null 2>&1 &
supervisor=$!

# sshd's JSON without its own pid and dir, plus the state folder and the supervisor's pid.
prefix=${sshd_json%%,\"pid\":*}
printf '%s,"stateDir":"%s","root":"%s","pid":%s}\n' "$prefix" "$state" "$root" "$supervisor"
