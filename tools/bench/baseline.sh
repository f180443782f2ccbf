#!/usr/bin/env bash
# The benchmark's baseline: the bash way that Phoenix replaces, done well.
#
#   tools/bench/baseline.sh --config <file.json> --features <dir> [--templates <dir>]
#                           [--template-vmid 9000] [--storage local] [-F <ssh_config>] <destination>
#
# VM after VM, one `ssh` per step (every qm command and every file is its own SSH connection, as the
# seed's phoenix_orchestrator.sh does it):
#   qm status (exists? then it is left alone), qm clone, the two cloud-init snippets rendered with
#   sed from Phoenix's own templates and written to the storage's snippets folder, qm set --cicustom,
#   qm start, qm guest cmd ping until the agent answers, the context file and each feature through
#   qm guest exec --pass-stdin, then the post-features snapshot.
# "Done well": values go into the YAML as JSON strings made by jq (so a quote cannot break the
# document), a snippet is written under a temporary name and renamed, secrets stay out of the guest's
# context file, every remote command is quoted with printf %q, and every step's failure stops the run
# with the VM and the step named.
#
# It handles what the benchmark's fleet uses: vm_defaults merged into each VM (jq's `*`), vmid, name,
# clone_from_vmid/template_vmid, cores, memory_mb, network_config (ip as CIDR or dhcp, gw,
# nameservers/nameserver, searchdomain), user_config (username, password_hash, ssh_public_key(s)),
# features, snapshots.post-features and template_snapshot_name. Needs ssh and jq on this machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
config="" templates="$here/../../templates/cloud-init" template_vmid=9000 storage=local
features=() ssh_opts=(-o BatchMode=yes)
readonly context_file=/tmp/vm_context.json

die() {
    echo "baseline: $*" >&2
    exit 1
}

usage() {
    sed -n '4,5p' "$0" >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    case $1 in
        --config) config=$2; shift 2 ;;
        --features) features+=("$2"); shift 2 ;;
        --templates) templates=$2; shift 2 ;;
        --template-vmid) template_vmid=$2; shift 2 ;;
        --storage) storage=$2; shift 2 ;;
        -F) ssh_opts+=(-F "$2"); shift 2 ;;
        -h | --help) usage ;;
        -*) die "unknown option '$1'" ;;
        *) break ;;
    esac
done
[[ $# -eq 1 && -n $config ]] || usage
destination=$1
[[ -f $config ]] || die "no config file '$config'"
[[ ${#features[@]} -gt 0 ]] || features=("$here/../../features")
for t in user-data network-config; do
    [[ -f $templates/$t.template.yml ]] || die "no $t template in '$templates'"
done
command -v jq >/dev/null || die "jq is needed (apt-get install jq)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One SSH connection per call: the remote command is the arguments, each quoted for the remote shell
# here (printf %q), so expanding the line on this side is the point (SC2029).
# shellcheck disable=SC2029
remote() {
    local line
    line=$(printf '%q ' "$@")
    ssh "${ssh_opts[@]}" "$destination" "$line" </dev/null
}

# The same, with a local file on the remote command's stdin.
# shellcheck disable=SC2029
remote_in() {
    local input=$1 line
    shift
    line=$(printf '%q ' "$@")
    ssh "${ssh_opts[@]}" "$destination" "$line" <"$input"
}

# A value as a YAML scalar (a JSON string is a valid double-quoted YAML scalar), or a list of them.
json_string() { jq -rn --arg v "$1" '$v | tojson'; }

# The replacement text for sed's s|...|...|: backslash, & and the delimiter escaped.
sed_escape() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//&/\\&}
    s=${s//|/\\|}
    printf '%s' "$s"
}

# render <template> <out> <placeholder>=<value or empty>...: an empty value removes the line.
render() {
    local template=$1 out=$2 kv name value
    shift 2
    local script=()
    for kv in "$@"; do
        name=${kv%%=*}
        value=${kv#*=}
        if [[ -z $value ]]; then
            script+=(-e "/$name/d")
        else
            script+=(-e "s|$name|$(sed_escape "$value")|g")
        fi
    done
    sed "${script[@]}" "$template" >"$out"
    if grep -n '__[A-Z0-9_]*__' "$out" | grep -v '^[0-9]*:[[:space:]]*#' >&2; then
        die "$template: a placeholder above has no value in this script"
    fi
}

feature_script() {
    local name=$1 dir
    for dir in "${features[@]}"; do
        if [[ -f $dir/feature_install_$name.sh ]]; then
            printf '%s\n' "$dir/feature_install_$name.sh"
            return 0
        fi
    done
    return 1
}

# Runs `qm guest exec` with a local file on stdin and stops unless the guest command exited 0.
guest_exec_in() {
    local vmid=$1 input=$2 what=$3 result code
    shift 3
    result=$(remote_in "$input" qm guest exec "$vmid" --pass-stdin 1 --timeout 3600 -- "$@") ||
        die "VM $vmid: qm guest exec for $what failed"
    code=$(jq -r '.exitcode // "none"' <<<"$result")
    if [[ $code != 0 ]]; then
        jq -r '(."out-data" // "") + (."err-data" // "")' <<<"$result" | tail -n 20 >&2
        die "VM $vmid: $what exited with $code"
    fi
    jq -r '."out-data" // ""' <<<"$result"
}

# The snippets folder of the storage, asked once: pvesm path prints where a snippet volume lives.
snippet_path=$(remote pvesm path "$storage:snippets/user-data-0.yml") || die "pvesm path failed"
snippet_dir=${snippet_path%/*}

count=$(jq '.vms | length' "$config")
for ((i = 0; i < count; i++)); do
    vm="$work/vm.json"
    jq --argjson i "$i" '(.vm_defaults // {}) * .vms[$i]' "$config" >"$vm"
    get() { jq -r "$1 // empty" "$vm"; }
    vmid=$(get .vmid)
    name=$(get .name)
    [[ $vmid =~ ^[0-9]+$ && -n $name ]] || die "vms[$i] needs a vmid and a name"
    [[ $(get .is_template) != true ]] || die "VM $vmid: templates are not this script's business"
    echo "== VM $vmid ($name)" >&2

    if remote qm status "$vmid" >/dev/null 2>&1; then
        echo "VM $vmid exists; left alone" >&2
        continue
    fi

    source_vmid=$(get '.clone_from_vmid // .template_vmid')
    remote qm clone "${source_vmid:-$template_vmid}" "$vmid" --name "$name" >/dev/null ||
        die "VM $vmid: qm clone failed"

    # Cloud-init, rendered as Phoenix's templates say (templates/cloud-init/README.md).
    ip=$(get .network_config.ip)
    gw=$(get .network_config.gw)
    search=$(get .network_config.searchdomain)
    dhcp=false
    [[ -z $ip || $ip == dhcp ]] && dhcp=true
    if [[ $dhcp == true ]]; then ip="" gw=""; fi
    if [[ $name == *.* ]]; then fqdn=$name; elif [[ -n $search ]]; then fqdn="$name.$search"; else fqdn=$name; fi
    hash=$(get .user_config.password_hash)
    keys=$(jq -c '[.user_config.ssh_public_keys // [], .user_config.ssh_public_key // empty] | flatten | map(select(. != ""))' "$vm")
    nameservers=$(jq -c '(.network_config.nameservers // (.network_config.nameserver // "" | split("[ ,;]+"; null))) | map(select(. != ""))' "$vm")
    lock=true
    [[ -n $hash ]] && lock=false
    list_or_none() { [[ $1 == "[]" ]] || printf '%s' "$1"; }
    json_or_none() { [[ -z $1 ]] || json_string "$1"; }
    render "$templates/user-data.template.yml" "$work/user-data-$vmid.yml" \
        "__VMID__=$vmid" \
        "__HOSTNAME__=$(json_string "${name%%.*}")" \
        "__FQDN__=$(json_string "$fqdn")" \
        "__USERNAME__=$(json_string "$(get .user_config.username)")" \
        "__PASSWORD_HASH__=$(json_or_none "$hash")" \
        "__LOCK_PASSWD__=$lock" \
        "__SSH_PUBLIC_KEYS__=$(list_or_none "$keys")" \
        "__SSH_PUBLIC_KEY__=$(json_or_none "$(jq -r '.[0] // empty' <<<"$keys")")"
    routes=""
    [[ -n $gw ]] && routes=$(jq -cn --arg gw "$gw" '[{to: "0.0.0.0/0", via: $gw}]')
    render "$templates/network-config.template.yml" "$work/network-config-$vmid.yml" \
        "__DHCP4_ENABLED__=$dhcp" \
        "__IPV4_ADDRESSES__=$([[ -z $ip ]] || jq -cn --arg ip "$ip" '[$ip]')" \
        "__IPV4_ADDRESS__=$(json_or_none "$ip")" \
        "__IPV4_GATEWAY__=$(json_or_none "$gw")" \
        "__IPV4_ROUTES__=$routes" \
        "__NAMESERVERS__=$(list_or_none "$nameservers")" \
        "__SEARCH_DOMAINS__=$([[ -z $search ]] || jq -cn --arg s "$search" '[$s]')" \
        "__SEARCH_DOMAIN__=$(json_or_none "$search")"

    for kind in user-data network-config; do
        file="$kind-$vmid.yml"
        # shellcheck disable=SC2016 # $1 and $2 are the remote sh's arguments
        remote_in "$work/$file" sh -c 'umask 077 && mkdir -p "$1" && cat > "$1/.$2.tmp" && mv -f "$1/.$2.tmp" "$1/$2"' \
            upload "$snippet_dir" "$file" || die "VM $vmid: writing $snippet_dir/$file failed"
    done

    set_args=(--cicustom "user=$storage:snippets/user-data-$vmid.yml,network=$storage:snippets/network-config-$vmid.yml")
    cores=$(get .cores)
    memory=$(get .memory_mb)
    [[ -z $cores ]] || set_args+=(--cores "$cores")
    [[ -z $memory ]] || set_args+=(--memory "$memory")
    remote qm set "$vmid" "${set_args[@]}" >/dev/null || die "VM $vmid: qm set failed"

    remote qm start "$vmid" >/dev/null || die "VM $vmid: qm start failed"
    waited=0
    until remote qm guest cmd "$vmid" ping >/dev/null 2>&1; do
        ((waited < 300)) || die "VM $vmid: the guest agent did not answer within 300 s"
        sleep 1
        waited=$((waited + 1))
    done

    mapfile -t wanted < <(jq -r '.features // [] | .[]' "$vm")
    if [[ ${#wanted[@]} -gt 0 ]]; then
        jq 'del(.user_config.password_hash)' "$vm" >"$work/context.json"
        guest_exec_in "$vmid" "$work/context.json" "the context file" \
            /bin/sh -c "umask 077 && cat > $context_file" >/dev/null
        for feature in "${wanted[@]}"; do
            feature_file=$(feature_script "$feature") || die "VM $vmid: no feature '$feature' in ${features[*]}"
            out=$(guest_exec_in "$vmid" "$feature_file" "feature '$feature'" \
                env "PHOENIX_VMID=$vmid" "PHOENIX_VM_NAME=$name" "PHOENIX_USERNAME=$(get .user_config.username)" \
                "PHOENIX_CONTEXT_FILE=$context_file" /bin/bash -s)
            echo "VM $vmid: feature $feature: $(grep -o 'PHOENIX_CHANGED=[01]' <<<"$out" | tail -n 1 || echo 'no PHOENIX_CHANGED line')" >&2
        done
    fi

    # The post-features snapshot, then template_snapshot_name (when it is another name), as Phoenix takes them.
    snapshots=()
    [[ $(jq -r '.snapshots["post-features"] // .snapshots.post_features // false' "$vm") == true ]] && snapshots+=(post-features)
    golden=$(get .template_snapshot_name)
    [[ -n $golden && $golden != post-features ]] && snapshots+=("$golden")
    for snapshot in "${snapshots[@]}"; do
        remote qm snapshot "$vmid" "$snapshot" --description 'Phoenix: after features' >/dev/null ||
            die "VM $vmid: qm snapshot $snapshot failed"
    done
    echo "VM $vmid: done" >&2
done
