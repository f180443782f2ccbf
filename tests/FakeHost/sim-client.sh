# shellcheck shell=bash disable=SC2154 # sim_* are set by the lines start-fakehost.sh writes above this text
# The body of the fake host's qm, pvesm and pvesh: start-fakehost.sh writes each wrapper as a `#!/bin/bash`
# line, the settings below, then this file. It hands the command to the resident simulator
# (`phoenix-sim serve`, see src/Phoenix.Simulator.Cli/SimServer.cs for the protocol) over bash's
# /dev/tcp, so a command costs the host a bash start instead of a .NET start; only builtins run,
# and `head -c` for an answer too large or binary for `read`, `cat` for a command's stdin.
#
# Settings (shell variables set above this text by start-fakehost.sh):
#   sim_cmd        qm, pvesm or pvesh
#   sim_port_file  the server's "PORT TOKEN" file (root's alone)
#   sim_node       the cluster node this wrapper is on ("" for a lone node)
#   sim_oneshot    the one-shot process, an array: run for callers other than root
#
# A caller other than root (a login user without sudo) runs the one-shot process as itself, as it always
# did: the server runs as root and cannot act as that user. For root, a server that does not answer is an
# error, said on stderr with exit 255 (as ssh reports a failure), never a silent fall-back to the one-shot
# process: the fake host's CPU cost must not change unseen, and the server is started and stopped with the
# fake host's sshd, so its absence is a fault to see.

LC_ALL=C
if [[ $EUID -ne 0 ]]; then
    exec "${sim_oneshot[@]}" "$sim_cmd" "$@"
fi
if ! { read -r sim_port sim_token <"$sim_port_file"; } 2>/dev/null || ! { exec 3<>"/dev/tcp/127.0.0.1/$sim_port"; } 2>/dev/null; then
    printf 'fake host: %s: the resident simulator (phoenix-sim serve, %s) does not answer\n' "$sim_cmd" "$sim_port_file" >&2
    exit 255
fi
# run TOKEN CALLER-PID NODE DROP-KILLS ARGC ARG..., each ending in NUL. This process is the caller: on an
# injected dropped connection the server kills the sshd session above it, as the one-shot process did.
printf '%s\0' run "$sim_token" "$$" "$sim_node" 1 $(($# + 1)) "$sim_cmd" "$@" >&3
while IFS=' ' read -r sim_kind sim_a sim_b sim_c sim_mode <&3; do
    case $sim_kind in
        stdin)
            # The command reads its stdin: all of it, on a second connection that ends when it closes.
            { exec 4<>"/dev/tcp/127.0.0.1/$sim_port"; } 2>/dev/null || break
            printf '%s\0' stdin "$sim_token" "$sim_a" >&4
            cat >&4
            exec 4>&-
            ;;
        exit)
            if [[ $sim_mode == r ]]; then
                if ((sim_b > 0)); then IFS= read -r -N "$sim_b" sim_out <&3; printf '%s' "$sim_out"; fi
                if ((sim_c > 0)); then IFS= read -r -N "$sim_c" sim_err <&3; printf '%s' "$sim_err" >&2; fi
            else
                if ((sim_b > 0)); then head -c "$sim_b" <&3; fi
                if ((sim_c > 0)); then head -c "$sim_c" <&3 >&2; fi
            fi
            exit "$sim_a"
            ;;
        *) break ;;
    esac
done
printf 'fake host: %s: the resident simulator closed the connection without an answer\n' "$sim_cmd" >&2
exit 255
