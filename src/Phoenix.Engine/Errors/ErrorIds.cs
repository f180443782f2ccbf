namespace Phoenix.Engine.Errors
{
    /// <summary>
    /// The error IDs of Phoenix, and the one place their convention is written down.
    /// </summary>
    /// <remarks>
    /// <para><b>What an error ID is.</b> Every failure the engine or a cmdlet reports is a <see cref="PhoenixException"/> whose
    /// <see cref="PhoenixException.Reason"/> is the error ID: one PascalCase phrase that names what went wrong, not what was being
    /// done (<c>VmIdTaken</c>, <c>FeatureFailed</c>, not <c>CloneError</c>). The cmdlets turn it into the ErrorRecord's ID
    /// (<c>Phoenix.PowerShell.Infrastructure.ErrorMapper</c>, the one place that happens) and PowerShell appends the cmdlet, so a
    /// script sees <c>FullyQualifiedErrorId = VmIdTaken,Phoenix.PowerShell.Commands.NewPhoenixVmCommand</c>. The kind
    /// (<see cref="PhoenixErrorKind"/>) gives the ErrorCategory; the target is the VM, host or file the error is about.</para>
    /// <para><b>Where the IDs are declared.</b> IDs are never written as inline strings. They come from one of three lists, which
    /// share one space of names (one name, one meaning, whichever list declares it):</para>
    /// <list type="bullet">
    /// <item><see cref="ErrorIds"/> (this class): everything the engine and the cmdlets raise themselves.</item>
    /// <item><see cref="Phoenix.Engine.Config.ConfigRules"/>: the rules of a config file. A finding's rule is its ID, and an error
    /// built from a finding (Set-PhoenixCloudInit's pieces, an invalid value at render time) keeps that ID.</item>
    /// <item><see cref="Phoenix.Engine.Proxmox.ProxmoxErrorReason"/>: what Proxmox itself answered (VM locked, snapshot exists,
    /// ...), classified from qm, pvesm and pvesh output. An enum, because code branches on it; the ID is the member's name.</item>
    /// </list>
    /// <para>The same name in two lists means the same thing (<c>VmNotFound</c> is both Proxmox's answer and the cmdlets' own
    /// check; <c>FeatureNotFound</c> both a config rule and the catalog's error). <b>IDs are stable</b>: scripts and CI filters
    /// match them, so a new failure gets a new ID and an existing ID is not renamed. The engine's tests check that no inline ID is
    /// left in the code and that every ID here is a distinct PascalCase name.</para>
    /// </remarks>
    public static class ErrorIds
    {
        // ---- Sessions and cmdlets ----

        public const string NoSession = nameof(NoSession);
        public const string SessionClosed = nameof(SessionClosed);
        public const string NodeUnknown = nameof(NodeUnknown);
        public const string NodeDown = nameof(NodeDown);
        public const string PlacementRefused = nameof(PlacementRefused);
        public const string VmOnOtherNode = nameof(VmOnOtherNode);
        public const string NodeUnreachable = nameof(NodeUnreachable);
        public const string InvalidNodeEndpoint = nameof(InvalidNodeEndpoint);
        public const string InvalidNodeHostKeyFingerprint = nameof(InvalidNodeHostKeyFingerprint);
        public const string NoVm = nameof(NoVm);
        public const string VmIdMismatch = nameof(VmIdMismatch);
        public const string NoFeatureNamed = nameof(NoFeatureNamed);
        public const string NotATemplate = nameof(NotATemplate);
        public const string DuplicateVmId = nameof(DuplicateVmId);
        public const string DeployFailed = nameof(DeployFailed);
        public const string DependencyFailed = nameof(DependencyFailed);
        public const string DependencyCycle = nameof(DependencyCycle);
        public const string VmNotFound = nameof(VmNotFound);
        public const string DhcpWithIpAddress = nameof(DhcpWithIpAddress);
        public const string VmNameMismatch = nameof(VmNameMismatch);
        public const string TemplateNeedsForce = nameof(TemplateNeedsForce);

        // ---- What ErrorMapper gives an exception that is not a PhoenixException ----

        public const string OperationTimedOut = nameof(OperationTimedOut);
        public const string FileNotFound = nameof(FileNotFound);
        public const string InvalidArgument = nameof(InvalidArgument);
        public const string UnexpectedError = nameof(UnexpectedError);

        // ---- Names and command arguments, checked before anything runs (ProxmoxNames, QmCommand) ----

        public const string InvalidVmId = nameof(InvalidVmId);
        public const string InvalidVmName = nameof(InvalidVmName);
        public const string InvalidSnapshotName = nameof(InvalidSnapshotName);
        public const string InvalidStorageId = nameof(InvalidStorageId);
        public const string InvalidVolumeId = nameof(InvalidVolumeId);
        public const string InvalidNodeName = nameof(InvalidNodeName);
        public const string NoOptions = nameof(NoOptions);
        public const string StorageNeedsFullClone = nameof(StorageNeedsFullClone);
        public const string FormatNeedsFullClone = nameof(FormatNeedsFullClone);
        public const string InvalidFormat = nameof(InvalidFormat);
        public const string NoGuestCommand = nameof(NoGuestCommand);
        public const string TimeoutNeedsSynchronous = nameof(TimeoutNeedsSynchronous);
        public const string GuestInputTooLarge = nameof(GuestInputTooLarge);
        public const string InvalidPid = nameof(InvalidPid);
        public const string InvalidGuestCommand = nameof(InvalidGuestCommand);
        public const string NoSourcePath = nameof(NoSourcePath);
        public const string InvalidDisk = nameof(InvalidDisk);
        public const string InvalidDiskSize = nameof(InvalidDiskSize);
        public const string InvalidApiPath = nameof(InvalidApiPath);
        public const string InvalidOption = nameof(InvalidOption);
        public const string DuplicateOption = nameof(DuplicateOption);
        public const string InvalidTimeout = nameof(InvalidTimeout);

        // ---- The SSH transport: options, keys, host keys, connections, transfers ----

        public const string InvalidHostName = nameof(InvalidHostName);
        public const string InvalidPort = nameof(InvalidPort);
        public const string InvalidUserName = nameof(InvalidUserName);
        public const string InvalidHostKeyFingerprint = nameof(InvalidHostKeyFingerprint);
        public const string NoCredential = nameof(NoCredential);
        public const string KeyFileInvalid = nameof(KeyFileInvalid);
        public const string HostKeyMismatch = nameof(HostKeyMismatch);
        public const string HostKeyUnknown = nameof(HostKeyUnknown);
        public const string HostKeyChanged = nameof(HostKeyChanged);
        public const string HostKeyRevoked = nameof(HostKeyRevoked);
        public const string HostKeyCheckFailed = nameof(HostKeyCheckFailed);
        public const string KnownHostsUnreadable = nameof(KnownHostsUnreadable);
        public const string KnownHostsNotWritable = nameof(KnownHostsNotWritable);
        public const string HostNotFound = nameof(HostNotFound);
        public const string ConnectionRefused = nameof(ConnectionRefused);
        public const string HostUnreachable = nameof(HostUnreachable);
        public const string ConnectionTimedOut = nameof(ConnectionTimedOut);
        public const string ConnectionFailed = nameof(ConnectionFailed);
        public const string AuthenticationFailed = nameof(AuthenticationFailed);
        public const string ConnectionLost = nameof(ConnectionLost);
        public const string ChannelFailed = nameof(ChannelFailed);
        public const string UploadFailed = nameof(UploadFailed);
        public const string SudoRefused = nameof(SudoRefused);
        public const string RemoteDirectoryNotFound = nameof(RemoteDirectoryNotFound);
        public const string PermissionDenied = nameof(PermissionDenied);
        public const string TransferFailed = nameof(TransferFailed);

        // ---- Cloud-init: templates, rendering, snippets ----

        public const string TemplateUnreadable = nameof(TemplateUnreadable);
        public const string TemplatePathNotFound = nameof(TemplatePathNotFound);
        public const string TemplateNotFound = nameof(TemplateNotFound);
        public const string CloudInitTemplateSyntax = nameof(CloudInitTemplateSyntax);
        public const string UnknownPlaceholder = nameof(UnknownPlaceholder);
        public const string PlaceholderMisplaced = nameof(PlaceholderMisplaced);
        public const string MissingValue = nameof(MissingValue);
        public const string InvalidCloudInitValue = nameof(InvalidCloudInitValue);
        public const string CloudInitRenderMismatch = nameof(CloudInitRenderMismatch);
        public const string SnippetTooLarge = nameof(SnippetTooLarge);
        public const string InvalidStorage = nameof(InvalidStorage);
        public const string StorageNotFound = nameof(StorageNotFound);
        public const string StorageDisabled = nameof(StorageDisabled);
        public const string SnippetsNotEnabled = nameof(SnippetsNotEnabled);
        public const string NoCloudInitDrive = nameof(NoCloudInitDrive);

        // ---- Features ----

        public const string InvalidFeatureFolder = nameof(InvalidFeatureFolder);
        public const string FeatureFolderNotFound = nameof(FeatureFolderNotFound);
        public const string FeatureFolderUnreadable = nameof(FeatureFolderUnreadable);
        public const string InvalidFeatureName = nameof(InvalidFeatureName);
        public const string FeatureNotFound = nameof(FeatureNotFound);
        public const string FeatureUnreadable = nameof(FeatureUnreadable);
        public const string FeatureTooLarge = nameof(FeatureTooLarge);
        public const string FeatureDeliveryFailed = nameof(FeatureDeliveryFailed);
        public const string FeatureStillRunning = nameof(FeatureStillRunning);
        public const string FeatureLaunchFailed = nameof(FeatureLaunchFailed);
        public const string FeatureFollowFailed = nameof(FeatureFollowFailed);
        public const string FeatureAgentLost = nameof(FeatureAgentLost);
        public const string FeatureAborted = nameof(FeatureAborted);
        public const string FeatureTimeout = nameof(FeatureTimeout);
        public const string FeatureFailed = nameof(FeatureFailed);

        // ---- VMs, templates and deploys ----

        public const string VmIdTaken = nameof(VmIdTaken);
        public const string IncompleteClone = nameof(IncompleteClone);
        public const string SnapshotLocked = nameof(SnapshotLocked);
        public const string TemplateNameUnresolved = nameof(TemplateNameUnresolved);
        public const string CloneSourceNotFound = nameof(CloneSourceNotFound);
        public const string TemplateMissing = nameof(TemplateMissing);
        public const string InvalidImage = nameof(InvalidImage);
        public const string ImageChecksumMissing = nameof(ImageChecksumMissing);
        public const string ImageChecksumMismatch = nameof(ImageChecksumMismatch);
        public const string AgentNotConfigured = nameof(AgentNotConfigured);
        public const string AgentTimeout = nameof(AgentTimeout);
        public const string DependencyNotReady = nameof(DependencyNotReady);
    }
}
