@{
    Synopsis    = 'Lists the feature scripts Phoenix can run inside a VM: the bundled ones and those of your folders.'
    Description = @'
Get-PhoenixFeature returns the features available to Invoke-PhoenixFeature and Deploy-PhoenixVm, one object per feature name: Name, Path, Description (the "# Description:" line of the script's header comment), Hash (SHA-256 of the file, what would be sent to the guest), Length, Source (Bundled or User) and ShadowedPaths (scripts of the same name that this one hides).

The feature "docker" is the file feature_install_docker.sh. Phoenix looks in the folders given with -FeaturePath (in that order), then in the folders of the environment variable PHOENIX_FEATURE_PATH (separated like PATH: ':' on Linux and macOS, ';' on Windows), then in the module's bundled "features" folder. The first folder that has a feature wins, so a script of your own can replace a bundled one. The folders are read on every call.

An exact name matches case-sensitively, like the file name in the guest; an unknown name is an error that lists the known features and the folders searched. A name with wildcards lists the features that match, regardless of case, and matching none is not an error. A folder that does not exist is an error.

No session is needed: nothing is sent to a host.
'@
    Parameters  = @{
        Name        = 'Feature names to return (the part between feature_install_ and .sh). Wildcards are allowed. Default: all features. Names also bind from the pipeline.'
        FeaturePath = 'Folders that hold feature scripts (feature_install_<name>.sh), searched before the folders of PHOENIX_FEATURE_PATH and the bundled folder. A feature found here takes precedence over one of the same name further on. Relative paths are resolved against the current location.'
    }
    Inputs      = @('System.String')
    Examples    = @(
        @{
            Title   = 'List every feature'
            Code    = 'Get-PhoenixFeature'
            Remarks = 'Shows the bundled features (base_setup, docker) and those of the folders in PHOENIX_FEATURE_PATH, with source, the start of the hash and the description.'
        }
        @{
            Title   = 'Add your own folder'
            Code    = 'Get-PhoenixFeature -FeaturePath ./my-features'
            Remarks = 'Lists your features too. A feature_install_docker.sh in ~/phoenix-features shows as Source User and hides the bundled docker feature (its path is in ShadowedPaths).'
        }
        @{
            Title   = 'Set the folder for the whole session'
            Code    = "`$env:PHOENIX_FEATURE_PATH = (Resolve-Path ./my-features).Path`nGet-PhoenixFeature -Name 'docker*' | Format-List Name, Path, Hash, Source"
            Remarks = 'Every feature cmdlet now searches /srv/phoenix/features as well, also in jobs and parallel runspaces started from here. The wildcard lists every feature whose name starts with docker.'
        }
    )
    Links       = @('Invoke-PhoenixFeature', 'about_Phoenix_Features')
}
