namespace Phoenix.Engine.CloudInit
{
    /// <summary>
    /// The default templates, compiled in so the engine renders without knowing where the module lives.
    /// They are byte-for-byte the files in templates/cloud-init/ (a test keeps them equal); the files are
    /// what users copy to make their own.
    /// </summary>
    internal static class DefaultTemplates
    {
        public const string UserData = @"#cloud-config
# Phoenix default user-data. Copy this folder and pass it with -TemplatePath to use your own.
# Each __NAME__ placeholder must be a whole YAML value; Phoenix inserts a correctly quoted value
# (lists as YAML lists), parses the result back and refuses it if the structure changed.
# A mapping entry whose placeholder has no value (no password hash, say) is left out.
hostname: __HOSTNAME__
fqdn: __FQDN__
manage_etc_hosts: true
users:
  - name: __USERNAME__
    groups: [sudo]
    sudo: ""ALL=(ALL) NOPASSWD:ALL""
    shell: /bin/bash
    # false only when a password hash is given; with keys alone the password stays locked.
    lock_passwd: __LOCK_PASSWD__
    hashed_passwd: __PASSWORD_HASH__
    ssh_authorized_keys: __SSH_PUBLIC_KEYS__
# Ubuntu cloud images lack the QEMU guest agent, which Phoenix needs to run feature scripts.
package_update: true
packages:
  - qemu-guest-agent
runcmd:
  - [systemctl, enable, --now, qemu-guest-agent]
";

        public const string NetworkConfig = @"# Phoenix default network-config (version 2).
# The NIC is matched by name (""e*"": ens18 on Proxmox's virtio NIC, eth0 elsewhere), not by MAC:
# every clone gets a new MAC, so a MAC match would break in clones of clones and golden images.
# Netplan (Ubuntu) applies the match; renderers that ignore ""match"" use the ID, ens18, which is
# the name Proxmox's first NIC gets on Ubuntu and Debian.
# The default route is written ""to: 0.0.0.0/0"": older cloud-init (Debian's 22.4) rejects ""to: default"".
version: 2
ethernets:
  ens18:
    match:
      name: ""e*""
    dhcp4: __DHCP4_ENABLED__
    addresses: __IPV4_ADDRESSES__
    routes: __IPV4_ROUTES__
    nameservers:
      addresses: __NAMESERVERS__
      search: __SEARCH_DOMAINS__
";
    }
}
