namespace Phoenix.Engine.Tests.Config;

/// <summary>Keys, hashes and a small valid config shared by the config and cloud-init tests.</summary>
internal static class ConfigSamples
{
    // Made with ssh-keygen for these tests; the private halves were thrown away.
    public const string Ed25519Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGTu4sFs9wPOADX2g1CCwUmJPX5LNRd9e/q419dxfzL admin@phoenix";
    public const string RsaKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQDBQEq2sCScaaRENZa3npkuZKFowcAf7mnS0CkCzSTCmliOfqVu2ItERpmWjuPvmETZkc5EBJa794Bz0pjrC8K6AdQvFgV3vMCFA6ECU7G1sJyUcOgLK5/Ep8Y7QdWukRT3Dl1uGLVqAwMzlaujQyjalrzNa1uB7nHI82+iDmoKF98nK++cy6HX3k3VKegy6cXCQnRfTUI+MaojpTwuU3i0HKR0QO3xKKHOxtW0jHKV+YREKe0oxj8rU3xY4Dm1y1d1CQ/cpApRi+B79B9UjAQPiaz0Z4h2BjkCpfGGBw1hfhpQMh2uRQ0BzVx23sODLPdwuRmrIWBDap3b9kby41fesykZDZj0jPRUbrU7C/94W0rf+TKkxsZeS9JwMlYqHC3ClPiJBLP4oLjPJn6sv5o1fnjS1m2V6uAnHteBCWG8TpoMkZWmVxZBzmryjUbLpJfSJFqjLsqIsrpHyA4lT/gPXMiBertyiIrQFwbDSyeHili5lF404lIP6j5IZTUaFX0= rsa@phoenix";
    public const string EcdsaKey = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBJcHC50u6lmEG+ZYqYOrx4+YZK9uIvGl4Om8wWfgfsyf+lrCOor2oGBR+SXXR2eMxiku++r299M+/aVnRxitsPeF2l7AJRjJiVbBk04o0xUrO3uKuWRYB4aOe6s0I7ORvQ== ec@phoenix";
    public const string Rsa1024Key = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDAMhUu6hmVQy+nfpdf3Btd4J4z0GnkVPufgh5Ek4DeeL0ZB8k6jTVZU1fELTI7FY2rEfeqvz2shF4tSxM5fNUi+mEUo5Hiptoe6ywma2l0tQCS/5pALaO8Fctf9xotpfwMpdIcxOz59AS1568W4QoDnySdqbS7Vn1eT6uEelmojw==";

    // openssl passwd -6 / -5 and libxcrypt, of throwaway passwords.
    public const string Sha512Hash = "$6$Ph0enixSaltX$ftJwDSr61U2rxoivlCCQi2XmsSIyQ5LVwSH1XRbCfEx1pbGDv6ZQ/0/jXhAFe/s2ZurgrM1kE.PGyCfneeR9F/";
    public const string Sha256Hash = "$5$abcdefgh$cTcSgqIebbsN4GAZvHa19nkP2Cp5C.vFgBBTdC5VI86";
    public const string YescryptHash = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$KCgzMosbArEQiPdODyYW8.eSHRLOAG7Y6ZKV1RDUUOA";
    public const string BcryptHash = "$2b$10$PhoenixTestSaltXXXXXXu.tcp1GGasi9ECQ6lOmpux.LFM5pGm3e";
    public const string ScryptHash = "$7$CU..../....PhoenixTestSalt$Ju/eDRZLLs3pPgb8Caj2nU8eKA.s1xZE3rVyx24QuW1";
    public const string Md5Hash = "$1$abcdefgh$LPxSDwt9JZ8W869ReW/yO/";

    /// <summary>A config that validates with no finding at all; the rule tests change one line of it.</summary>
    public static readonly string Base = """
{
  "vm_defaults": {
    "cores": 2,
    "memory_mb": 2048,
    "storage_pool": "local-lvm",
    "network_bridge": "vmbr0"
  },
  "vms": [
    {
      "vmid": 9000,
      "name": "tmpl",
      "is_template": true,
      "template_image": "noble.img",
      "user_config": { "username": "phoenix" }
    },
    {
      "vmid": 101,
      "name": "web-01",
      "clone_from_vmid": 9000,
      "features": ["docker"],
      "network_config": {
        "ip": "10.0.0.11/24",
        "gw": "10.0.0.1",
        "nameservers": ["10.0.0.13"]
      },
      "user_config": {
        "username": "phoenix",
        "password_hash": "HASH",
        "ssh_public_keys": ["KEY"]
      }
    }
  ]
}
""".Replace("HASH", Sha512Hash.Replace("$", "$")).Replace("KEY", Ed25519Key);
}
