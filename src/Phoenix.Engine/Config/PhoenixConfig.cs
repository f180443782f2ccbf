using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// A loaded config file: its VMs (with <c>vm_defaults</c> merged in) and what the loader found while reading
    /// (broken JSON, wrong types, ...). Semantic rules are <see cref="ConfigValidator"/>'s job.
    /// </summary>
    public sealed class PhoenixConfig
    {
        internal PhoenixConfig(string? sourceFile, JObject? root, JObject? defaults, IReadOnlyList<VmSpec> vms, IReadOnlyList<ConfigFinding> loadFindings)
        {
            SourceFile = sourceFile;
            Root = root;
            Defaults = defaults;
            Vms = vms;
            LoadFindings = loadFindings;
        }

        /// <summary>The file as given to <see cref="PhoenixConfigLoader.Load"/>; null for text.</summary>
        public string? SourceFile { get; }

        /// <summary>The parsed document with line information; null when the file could not be read or parsed.</summary>
        public JObject? Root { get; }

        /// <summary>The <c>vm_defaults</c> object as written; null when absent.</summary>
        public JObject? Defaults { get; }

        /// <summary>Whether the file has <c>vm_defaults</c>. The cmdlets ask this instead of touching <see cref="Defaults"/>:
        /// on PowerShell 7 Newtonsoft.Json lives in Phoenix's own load context, out of the cmdlets' reach.</summary>
        public bool HasDefaults => Defaults != null;

        /// <summary>One spec per entry of <c>vms</c> that is a JSON object, in file order.</summary>
        public IReadOnlyList<VmSpec> Vms { get; }

        /// <summary>Findings made while reading: syntax, types, structure. <see cref="ConfigValidator.Validate(PhoenixConfig)"/> includes them.</summary>
        public IReadOnlyList<ConfigFinding> LoadFindings { get; }

        /// <summary>True when reading found an error (the VMs may then be incomplete).</summary>
        public bool HasLoadErrors => LoadFindings.Any(f => f.Level == ConfigSeverity.Error);

        /// <summary><c>phoenix.json: 3 VMs</c>.</summary>
        public override string ToString() => (SourceFile ?? "<config>") + ": " + Vms.Count + (Vms.Count == 1 ? " VM" : " VMs");
    }
}
