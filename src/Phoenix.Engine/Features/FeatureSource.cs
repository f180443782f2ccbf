namespace Phoenix.Engine.Features
{
    /// <summary>Where a feature script was found.</summary>
    public enum FeatureSource
    {
        /// <summary>The module's own <c>features/</c> folder.</summary>
        Bundled,
        /// <summary>A folder the user named (<c>-FeaturePath</c> or the module-wide setting).</summary>
        User,
    }
}
