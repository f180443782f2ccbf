namespace Phoenix.Engine.Config
{
    /// <summary>The rule IDs that <see cref="ConfigFinding.Rule"/> takes. Stable: scripts and CI filters use them.</summary>
    public static class ConfigRules
    {
        // Reading the file
        public const string FileNotFound = "FileNotFound";
        public const string FileUnreadable = "FileUnreadable";
        public const string JsonSyntax = "JsonSyntax";
        public const string DuplicateKey = "DuplicateKey";
        public const string RootNotObject = "RootNotObject";
        public const string VmsMissing = "VmsMissing";
        public const string VmsEmpty = "VmsEmpty";
        public const string TypeMismatch = "TypeMismatch";
        public const string DefaultsIdentityField = "DefaultsIdentityField";
        public const string UnknownField = "UnknownField";
        public const string DuplicateSpelling = "DuplicateSpelling";

        // Identity
        public const string VmIdMissing = "VmIdMissing";
        public const string VmIdRange = "VmIdRange";
        public const string VmIdDuplicate = "VmIdDuplicate";
        public const string NameMissing = "NameMissing";
        public const string NameDnsFormat = "NameDnsFormat";
        public const string NameDuplicate = "NameDuplicate";
        public const string NodeFormat = "NodeFormat";
        public const string StoragePoolFormat = "StoragePoolFormat";
        public const string NetworkBridgeFormat = "NetworkBridgeFormat";

        // Resources
        public const string CoresRange = "CoresRange";
        public const string MemoryRange = "MemoryRange";
        public const string DiskSizeRange = "DiskSizeRange";
        public const string BootOrderRange = "BootOrderRange";
        public const string BootDelayRange = "BootDelayRange";

        // Network
        public const string IpFormat = "IpFormat";
        public const string GatewayFormat = "GatewayFormat";
        public const string GatewayOutsideSubnet = "GatewayOutsideSubnet";
        public const string GatewayWithDhcp = "GatewayWithDhcp";
        public const string NameserverFormat = "NameserverFormat";
        public const string SearchDomainFormat = "SearchDomainFormat";

        // User
        public const string UsernameFormat = "UsernameFormat";
        public const string UsernameMissing = "UsernameMissing";
        public const string PasswordHashFormat = "PasswordHashFormat";
        public const string SshKeyFormat = "SshKeyFormat";

        // Templates, clones, snapshots, order
        public const string SnapshotNameFormat = "SnapshotNameFormat";
        public const string TemplateSnapshotOnTemplate = "TemplateSnapshotOnTemplate";
        public const string CloneSourceMissing = "CloneSourceMissing";
        public const string TemplateNameUnresolved = "TemplateNameUnresolved";
        public const string TemplateCopyVmId = "TemplateCopyVmId";
        public const string PlacementRefused = "PlacementRefused";
        public const string DependencyFormat = "DependencyFormat";
        public const string DependencyOutsideFile = "DependencyOutsideFile";
        public const string Cycle = "Cycle";

        // Features and extra qm options
        public const string FeatureNameFormat = "FeatureNameFormat";
        public const string FeatureNotFound = "FeatureNotFound";
        public const string QmOptionFormat = "QmOptionFormat";
        public const string QmOptionManaged = "QmOptionManaged";
        public const string QmOptionOverlap = "QmOptionOverlap";

        // ---- The cluster (with a session) ----
        public const string NodeUnknown = "NodeUnknown";
        public const string StorageUnknown = "StorageUnknown";
        public const string StorageNotOnNode = "StorageNotOnNode";
        public const string StorageNoImages = "StorageNoImages";
        public const string VmIdTaken = "VmIdTaken";
        public const string VmOnOtherNode = "VmOnOtherNode";
    }
}
