#!/usr/bin/env bash
# Starts a fake Proxmox VE host: Phoenix's simulator behind a real OpenSSH server on 127.0.0.1.
#
#   tests/FakeHost/start-fakehost.sh --bin <dir with phoenix-sim.dll> [--state <dir>] [--node <name>] [--empty]
#                                    [--nodes <N>] [--login-users]
#
# `qm`, `pvesm`, `pvesh` and `hostname` on the PATH of SSH commands run the simulator, all on one
# state folder. The simulator is resident: the supervisor starts `phoenix-sim serve` (one process for
# every node, on a free 127.0.0.1 port with a token, written to <root>/sim/port, mode 0600) and stops
# it, by its pid, before sshd; it also exits when the supervisor is gone. `qm`, `pvesm` and `pvesh`
# are small bash clients (sim-client.sh) that hand it argv, the node and, when the command reads it,
# stdin, and print its answer's stdout and stderr bytes and exit code: a command costs the host a
# bash start, not a .NET start (a real node's Perl start is the fault plan's latency, a wait). Each
# command runs as the one-shot process ran it: a simulator made from the state folder, its line in
# commands.log, real file locks, each command on its own thread so commands overlap. Choices:
#   - A dropped connection (fault plan `drops`, a node down): the server kills the sshd session
#     above the client, as the one-shot process killed its own.
#   - A client killed, or its SSH session dropped, mid-command: the command runs to its end and its
#     effects stay, as the one-shot process (which wrote its answer only at the end) ran to its end
#     when its channel closed; a real `qm` would die of SIGHUP with a terminal, but sshd sends none
#     to a command without one, and a task it had forked would go on anyway. The client waits for
#     the answer, so it lives as long as the command (Wait-FakeHostIdle counts those clients).
#   - The server not answering: root's qm fails with exit 255 and says so on stderr; no silent
#     fall-back to the one-shot process, which would hide the host's CPU cost coming back.
#   - A caller other than root (a login user without sudo) runs the one-shot process as itself.
# `phoenix-sim` on that PATH is the one-shot process (`phoenix-sim qm config 100`), with the same
# settings: what tests compare the server's answers with. `mktemp` there is the real one that also records, in <state>/created.log, the
# mode, owner and path of each file it creates, taken before anything is written to the file: what
# a test checks to know a snippet was never readable by others, not even for a moment.
#
# --login-users (lone node, root only) makes two non-root login users if they are missing, both
# taking the client key: phoenix-sudo, with a sudoers rule that lets it run anything as root
# without a password (keeping the PATH of SSH commands, so sudo finds the fake qm), and
# phoenix-nosudo, without one. The JSON line then names them as "sudoUser" and "noSudoUser".
#
# Prints one JSON line:
#   {"host":..,"port":..,"user":..,"keyFile":..,"hostKeyFingerprint":..,"stateDir":..,"root":..,"pid":..}
# `pid` is a supervisor: killing it (`kill <pid>`: SIGTERM, or SIGINT/SIGHUP) stops the resident
# simulator, sshd and every session it started. SIGKILL cannot be caught: after `kill -9 <pid>` stop
# sshd by the pid file in <root>/sshd (the simulator exits by itself within a second).
#
# With --nodes N (N > 1) it is a cluster of nodes pve1..pveN over one state folder, one sshd per
# node, all accepting one client key (as a Proxmox cluster shares root's authorized_keys), each
# with its own host key. The JSON line then also has "nodes": one entry per node with its "node",
# "host", "port", "keyFile", "hostKeyFingerprint" and "sshDir" (its sshd.pid is there); the
# top-level endpoint is the first node's. The supervisor watches <state>/faults.json: a node in its
# "nodesDown" has its sshd stopped (its port refuses), and started again on the same port with the
# same host key when it is taken out. Stopping the supervisor stops every node's sshd.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin="" state="" node="pve" empty=0 nodes=1 login_users=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --bin) bin=$2; shift 2 ;;
        --state) state=$2; shift 2 ;;
        --node) node=$2; shift 2 ;;
        --empty) empty=1; shift ;;
        --nodes) nodes=$2; shift 2 ;;
        --login-users) login_users=1; shift ;;
        *) echo "start-fakehost: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[[ -n $bin && -f $bin/phoenix-sim.dll ]] || { echo "start-fakehost: --bin must name the folder of phoenix-sim.dll (build first)" >&2; exit 2; }
[[ $nodes =~ ^[1-9][0-9]?$ ]] || { echo "start-fakehost: --nodes wants a number from 1 to 99, got '$nodes'" >&2; exit 2; }
bin=$(cd "$bin" && pwd)
dotnet_bin=$(command -v dotnet) || { echo "start-fakehost: dotnet not found" >&2; exit 1; }
dotnet_bin=$(readlink -f "$dotnet_bin")
mktemp_bin=$(command -v mktemp) || { echo "start-fakehost: mktemp not found" >&2; exit 1; }

# Guests really run their commands, all of one VM's in that VM's own mount namespace, where that is
# possible (root on Linux); elsewhere phoenix-sim's recording guest answers and says so.
runner='Phoenix.Simulator.Cli.IsolatedGuestRunner, phoenix-sim'

root=$(mktemp -d "${TMPDIR:-/tmp}/phoenix-fakehost.XXXXXX")
[[ -n $state ]] || state="$root/state"
mkdir -p "$state"
state=$(cd "$state" && pwd)
# The resident simulator's folder: its port file (port and token, root's alone), pid and log.
sim_dir="$root/sim"
mkdir -p "$sim_dir"

# Starts the resident simulator (from inside the supervisor, whose pid it watches: it exits when the
# supervisor is gone, even after a SIGKILL), with a clean environment like an SSH session's. Without
# tiered compilation it runs its ReadyToRun code as it is instead of compiling the hot part again
# (twice, with PGO) during its first few hundred commands: measured on 800 commands, 2.4 ms of CPU
# a command against 3.9 ms, and less still for the few dozen commands of most test files.
start_sim_server() {
    local supervisor=$BASHPID
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" USER="$(id -un)" LOGNAME="$(id -un)" \
        PHOENIX_SIM_STATE="$state" PHOENIX_SIM_GUEST_RUNNER="$runner" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_TieredCompilation=0 \
        "$dotnet_bin" "$bin/phoenix-sim.dll" serve --port-file "$sim_dir/port" --watch-pid "$supervisor" \
        </dev/null >/dev/null 2>>"$sim_dir/serve.log" &
    echo $! >"$sim_dir/serve.pid"
}

# Stops the resident simulator (its commands still running end with it) and waits until it is gone.
stop_sim_server() {
    local pid
    pid=$(cat "$sim_dir/serve.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# Waits until the resident simulator has written its port file; $1: the supervisor (stopped on failure).
wait_sim_server() {
    for _ in $(seq 1 300); do
        [[ -s $sim_dir/port ]] && return 0
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$1" 2>/dev/null
    echo "start-fakehost: the resident simulator did not start (see $sim_dir/serve.log): $(tail -n 5 "$sim_dir/serve.log" 2>/dev/null)" >&2
    exit 1
}

# One folder of wrappers per node: they carry the state folder and the node; nothing else of this
# machine leaks into them. $1: the folder, $2: the node name, $3: PHOENIX_SIM_NODE (empty for a lone node).
# qm, pvesm and pvesh are bash scripts: their settings, then sim-client.sh, which hands the command to the
# resident simulator (root) or runs the one-shot process (any other user).
write_wrappers() {
    local dir=$1 name=$2 simnode=$3 cmd oneshot
    mkdir -p "$dir"
    oneshot=(env "PHOENIX_SIM_STATE=$state" "PHOENIX_SIM_GUEST_RUNNER=$runner" PHOENIX_SIM_DROP_KILLS_PARENT=1
        DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1)
    [[ -z $simnode ]] || oneshot+=("PHOENIX_SIM_NODE=$simnode")
    oneshot+=("$dotnet_bin" "$bin/phoenix-sim.dll")
    for cmd in qm pvesm pvesh; do
        {
            printf '#!/bin/bash\n'
            printf 'sim_cmd=%q sim_port_file=%q sim_node=%q\n' "$cmd" "$sim_dir/port" "$simnode"
            printf 'sim_oneshot=(%s)\n' "$(printf '%q ' "${oneshot[@]}")"
            cat "$here/sim-client.sh"
        } >"$dir/$cmd"
        chmod 755 "$dir/$cmd"
    done
    # The one-shot process under its own name (`phoenix-sim qm config 100`), as the wrappers ran it before the
    # resident simulator: what tests compare the resident one's answers with.
    printf '#!/bin/bash\nexec %s "$@"\n' "$(printf '%q ' "${oneshot[@]}")" >"$dir/phoenix-sim"
    chmod 755 "$dir/phoenix-sim"
    # Proxmox names the node after the host name; Phoenix reads it with `hostname`.
    printf '#!/bin/sh\necho %s\n' "$name" >"$dir/hostname"
    chmod 755 "$dir/hostname"
    # The real mktemp, and a record of the created file's mode before a byte is written to it.
    cat >"$dir/mktemp" <<WRAP
#!/bin/sh
p=\$('$mktemp_bin' "\$@") || exit \$?
[ -f "\$p" ] && printf '%s %s\\n' "\$(stat -c '%a %U' -- "\$p")" "\$p" >>'$state/created.log' 2>/dev/null
printf '%s\\n' "\$p"
WRAP
    chmod 755 "$dir/mktemp"
}

# The login users of --login-users: made when missing (an unlocked account without a password, so sshd
# lets the key in), phoenix-sudo with its sudoers rule.
make_login_users() {
    local u
    for u in phoenix-sudo phoenix-nosudo; do
        id -u "$u" >/dev/null 2>&1 || useradd -m -s /bin/sh "$u"
        usermod -p '*' "$u"
    done
    printf '%s\n' 'Defaults:phoenix-sudo !secure_path' 'phoenix-sudo ALL=(root) NOPASSWD: ALL' >/etc/sudoers.d/phoenix-fakehost.tmp
    chmod 440 /etc/sudoers.d/phoenix-fakehost.tmp
    visudo -cqf /etc/sudoers.d/phoenix-fakehost.tmp
    mv -f /etc/sudoers.d/phoenix-fakehost.tmp /etc/sudoers.d/phoenix-fakehost
}

sim() { PHOENIX_SIM_STATE="$state" "$dotnet_bin" "$bin/phoenix-sim.dll" "$@"; }

if [[ $nodes -eq 1 ]]; then
    write_wrappers "$root/path" "$node" ""
    mkdir -p "$root/sshd"
    # `local` lives inside the state folder, so files that sshd receives at the paths
    # `pvesm path` prints are the files the simulator reads.
    init_args=(init --node "$node" --local-path "$state/node/var/lib/vz")
    [[ $empty -eq 1 ]] && init_args+=(--empty)
    sim "${init_args[@]}" >/dev/null

    sshd_json=$(bash "$repo/tools/test-sshd.sh" start "$root/sshd" --path-prepend "$root/path")
    sshd_pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' <<<"$sshd_json")
    users_json=""
    if [[ $login_users -eq 1 ]]; then
        [[ $(id -u) -eq 0 ]] || { echo "start-fakehost: --login-users needs root (it adds users and a sudoers rule)" >&2; exit 2; }
        command -v sudo >/dev/null || { echo "start-fakehost: --login-users needs sudo (apt-get install sudo)" >&2; exit 2; }
        make_login_users
        # sshd reads authorized_keys, and sudo's commands the wrappers, as the login user.
        chmod 711 "$root" "$root/sshd"
        chmod 644 "$root/sshd/authorized_keys"
        users_json=',"sudoUser":"phoenix-sudo","noSudoUser":"phoenix-nosudo"'
    fi

    # The supervisor: when it is told to stop, it stops sshd, its sessions and whatever they run.
    (
        set +e # the trap must run to its end even when there is nothing left to kill
        trap 'stop_sim_server; pkill -TERM -P "$sshd_pid" 2>/dev/null; kill -TERM "$sshd_pid" 2>/dev/null; exit 0' TERM INT HUP
        start_sim_server
        while kill -0 "$sshd_pid" 2>/dev/null; do
            sleep 1 &
            wait $! || true
        done
        stop_sim_server
    ) </dev/null >/dev/null 2>&1 &
    supervisor=$!
    wait_sim_server "$supervisor"

    # sshd's JSON without its own pid and dir, plus the state folder and the supervisor's pid.
    prefix=${sshd_json%%,\"pid\":*}
    printf '%s,"stateDir":"%s","root":"%s","pid":%s%s}\n' "$prefix" "$state" "$root" "$supervisor" "$users_json"
    exit 0
fi

# ---- a cluster of $nodes nodes ----
names=()
for ((i = 1; i <= nodes; i++)); do names+=("pve$i"); done

# Each node's `local` is its own real folder inside the state folder (`{node}`: the simulator puts
# the node's name there); the NFS storage `shared` is one folder for all.
init_args=(init --local-path "$state/node/var/lib/phoenix-sim/nodes/{node}/var/lib/vz"
    --shared-path "$state/node/mnt/pve/shared" --node-address 127.0.0.1)
for n in "${names[@]}"; do init_args+=(--cluster-node "$n"); done
# ZFS pool `tank` enabled on pve1 and pve2 only (storage.cfg `nodes`), and VM 9005 `tools` on pve1 with an ISO of
# its `local` in the cdrom drive: the cluster refusals (storage not on a node, local cdrom) are reachable over SSH.
init_args+=(--zfs-storage tank --storage-nodes tank=pve1,pve2 --cdrom-vm 9005:tools)
[[ $empty -eq 1 ]] && init_args+=(--empty)
sim "${init_args[@]}" >/dev/null

# One client key for every node.
ssh-keygen -q -t ed25519 -N '' -C "phoenix-test-client" -f "$root/client_key"
entries=() first=""
for n in "${names[@]}"; do
    write_wrappers "$root/path-$n" "$n" "$n"
    json=$(bash "$repo/tools/test-sshd.sh" start "$root/sshd-$n" --path-prepend "$root/path-$n" --client-key "$root/client_key")
    [[ -n $first ]] || first=${json%%,\"pid\":*}
    endpoint=${json%%,\"pid\":*}
    entries+=("{\"node\":\"$n\",${endpoint#\{},\"sshDir\":\"$root/sshd-$n\"}")
done

# The supervisor: stops the sshd of a node the fault plan has down (and its sessions), starts it
# again when the node comes back, and stops them all when it is told to stop.
(
    set +e
    sshd_pid() { head -n1 "$root/sshd-$1/sshd.pid" 2>/dev/null; }
    # Alive and not a zombie (sshd is started detached; where no init reaps, a killed one lingers as Z).
    alive() { [[ -r /proc/$1/stat ]] && [[ $(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
    stop_node() {
        local pid
        pid=$(sshd_pid "$1")
        [[ -n $pid ]] || return 0
        pkill -TERM -P "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
        rm -f "$root/sshd-$1/sshd.pid"
    }
    # shellcheck disable=SC2317 # called by the trap
    stop_all() {
        stop_sim_server
        for n in "${names[@]}"; do stop_node "$n"; done
        exit 0
    }
    trap stop_all TERM INT HUP
    start_sim_server
    seen=""
    while true; do
        sig=$({ stat -c '%Y.%s' "$state/faults.json" && cksum <"$state/faults.json"; } 2>/dev/null || echo none)
        if [[ $sig != "$seen" ]]; then
            seen=$sig
            down=" $(sim nodes-down 2>/dev/null | tr '\n' ' ')"
            for n in "${names[@]}"; do
                if [[ $down == *" $n "* ]]; then
                    stop_node "$n"
                elif [[ -z $(sshd_pid "$n") ]]; then
                    bash "$repo/tools/test-sshd.sh" restart "$root/sshd-$n" >/dev/null
                fi
            done
        fi
        sleep 0.2 &
        wait $! || true
    done
) </dev/null >/dev/null 2>&1 &
supervisor=$!
wait_sim_server "$supervisor"

nodes_json=$(IFS=,; printf '%s' "${entries[*]}")
printf '%s,"stateDir":"%s","root":"%s","pid":%s,"nodes":[%s]}\n' "$first" "$state" "$root" "$supervisor" "$nodes_json"
