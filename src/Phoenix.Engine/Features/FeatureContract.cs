namespace Phoenix.Engine.Features
{
    /// <summary>
    /// The fixed points of the contract between Phoenix and a feature script, in one place so that
    /// the runner, the catalog and the help text cannot drift apart (about_Phoenix_Features).
    /// </summary>
    public static class FeatureContract
    {
        /// <summary>Where Phoenix writes the VM's spec (secrets removed) inside the guest.</summary>
        public const string DefaultContextFile = "/tmp/vm_context.json";

        /// <summary>The interpreter a feature runs with.</summary>
        public const string Interpreter = "/bin/bash";

        /// <summary>Environment variable with the VM's ID.</summary>
        public const string EnvVmId = "PHOENIX_VMID";

        /// <summary>Environment variable with the VM's name.</summary>
        public const string EnvVmName = "PHOENIX_VM_NAME";

        /// <summary>Environment variable with <c>user_config.username</c> (empty when the spec has none).</summary>
        public const string EnvUserName = "PHOENIX_USERNAME";

        /// <summary>Environment variable with the path of the context file.</summary>
        public const string EnvContextFile = "PHOENIX_CONTEXT_FILE";

        /// <summary>
        /// The start of the line by which a script reports whether it changed something:
        /// <c>PHOENIX_CHANGED=1</c> or <c>PHOENIX_CHANGED=0</c>, the last such line counts.
        /// </summary>
        public const string ChangedMarker = "PHOENIX_CHANGED=";

        /// <summary>
        /// The most bytes <c>qm guest exec --pass-stdin</c> carries (Proxmox refuses more with
        /// <c>'input-data' (STDIN) is limited to 1 MiB, aborting</c>); scripts and context files
        /// are delivered that way, so neither may be larger.
        /// </summary>
        public const int MaxDeliveryBytes = 1024 * 1024;

        /// <summary>
        /// The meaning of an exit code under the convention the bundled features follow (a user's
        /// script may mean something else by it), or null for codes outside the convention.
        /// </summary>
        public static string? DescribeExitCode(int exitCode)
        {
            switch (exitCode)
            {
                case 0: return "success";
                case 1: return "an unexpected command failed";
                case 2: return "bad or missing context";
                case 3: return "package manager (apt) failure";
                case 4: return "download failure";
                case 5: return "the apt/dpkg lock stayed held past the timeout";
                case 6: return "unsupported OS or release";
                case 7: return "a service or system setting could not be changed";
                case 8: return "a user or group change failed";
                case 9: return "not run as root";
                case 126: return "the script could not be executed";
                case 127: return "a command was not found";
                default:
                    if (exitCode > 128 && exitCode < 128 + 65) return "killed by signal " + (exitCode - 128);
                    return null;
            }
        }
    }
}
