using Xunit;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;
using Phoenix.Engine.Proxmox;

namespace Phoenix.Engine.Tests.Features;

public sealed class FeatureCatalogTests : IDisposable
{
    private readonly TempFolders _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Script(string description) =>
        "#!/usr/bin/env bash\n# Description: " + description + "\nset -euo pipefail\necho hi\n";

    [Fact]
    public void GetAll_lists_each_script_with_name_file_description_hash_and_source()
    {
        string bundled = _temp.Folder("bundled");
        string docker = _temp.Write("bundled", "feature_install_docker.sh", Script("Installs Docker."));
        _temp.Write("bundled", "feature_install_base_setup.sh", Script("Updates and common packages."));

        var all = new FeatureCatalog(bundled).GetAll();

        Assert.Equal(new[] { "base_setup", "docker" }, all.Select(f => f.Name));
        FeatureInfo d = all[1];
        Assert.Equal(docker, d.Path);
        Assert.Equal("feature_install_docker.sh", d.FileName);
        Assert.Equal(bundled, d.Folder);
        Assert.Equal("Installs Docker.", d.Description);
        Assert.Equal(FeatureSource.Bundled, d.Origin);
        Assert.Equal(Script("Installs Docker.").Length, d.Length);
        Assert.Empty(d.ShadowedPaths);
        Assert.Equal("docker", d.ToString());
    }

    [Fact]
    public void Hash_is_the_lowercase_hex_sha256_of_the_file_bytes()
    {
        string folder = _temp.Folder("b");
        _temp.Write("b", "feature_install_abc.sh", "abc");

        FeatureInfo f = new FeatureCatalog(folder).Resolve("abc");

        // The FIPS 180-2 test vector for "abc".
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", f.Hash);
        Assert.Null(f.Description);
    }

    [Fact]
    public void Only_feature_install_files_with_valid_names_are_features()
    {
        string folder = _temp.Folder("b");
        _temp.Write("b", "feature_install_docker.sh", Script("x"));
        _temp.Write("b", "feature_template.sh.example", Script("template"));
        _temp.Write("b", "feature_install_.sh", Script("empty name"));
        _temp.Write("b", "feature_install_has space.sh", Script("space"));
        _temp.Write("b", "feature_install_docker.sh.bak", Script("backup"));
        _temp.Write("b", "README.md", "# Description: not a script");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        _temp.Write(Path.Combine("b", "sub"), "feature_install_nested.sh", Script("nested"));

        Assert.Equal(new[] { "docker" }, new FeatureCatalog(folder).GetNames());
    }

    [Fact]
    public void User_folders_take_precedence_over_the_bundled_one_and_the_first_user_folder_wins()
    {
        string bundled = _temp.Folder("bundled");
        string first = _temp.Folder("first");
        string second = _temp.Folder("second");
        string bundledDocker = _temp.Write("bundled", "feature_install_docker.sh", Script("bundled docker"));
        _temp.Write("bundled", "feature_install_base_setup.sh", Script("bundled base"));
        string firstDocker = _temp.Write("first", "feature_install_docker.sh", Script("my docker"));
        string secondDocker = _temp.Write("second", "feature_install_docker.sh", Script("other docker"));
        _temp.Write("second", "feature_install_step_cli.sh", Script("step"));

        var catalog = new FeatureCatalog(bundled, new[] { first, second });
        FeatureInfo docker = catalog.Resolve("docker");

        Assert.Equal(firstDocker, docker.Path);
        Assert.Equal("my docker", docker.Description);
        Assert.Equal(FeatureSource.User, docker.Origin);
        Assert.Equal(new[] { secondDocker, bundledDocker }, docker.ShadowedPaths);
        Assert.Equal(FeatureSource.Bundled, catalog.Resolve("base_setup").Origin);
        Assert.Equal(new[] { "base_setup", "docker", "step_cli" }, catalog.GetAll().Select(f => f.Name));
        Assert.Equal(new[] { first, second, bundled }, catalog.SearchedFolders);
    }

    [Fact]
    public void A_user_folder_given_twice_or_equal_to_the_bundled_one_is_searched_once()
    {
        string bundled = _temp.Folder("bundled");
        string mine = _temp.Folder("mine");

        var catalog = new FeatureCatalog(bundled, new[] { mine, mine + Path.DirectorySeparatorChar, bundled });

        Assert.Equal(new[] { mine }, catalog.UserFolders);
        Assert.Equal(bundled, catalog.BundledFolder);
        Assert.Equal(new[] { mine, bundled }, catalog.SearchedFolders);
    }

    [Fact]
    public void Resolve_of_an_unknown_name_is_NotFound_and_lists_the_known_names_and_folders()
    {
        string bundled = _temp.Folder("bundled");
        string mine = _temp.Folder("mine");
        _temp.Write("bundled", "feature_install_docker.sh", Script("d"));
        _temp.Write("bundled", "feature_install_base_setup.sh", Script("b"));
        _temp.Write("mine", "feature_install_trusted_ca.sh", Script("t"));
        var catalog = new FeatureCatalog(bundled, new[] { mine });

        var e = Assert.Throws<PhoenixException>(() => catalog.Resolve("step_cli"));

        Assert.Equal(PhoenixErrorKind.NotFound, e.Kind);
        Assert.Equal("FeatureNotFound", e.Reason);
        Assert.Equal("step_cli", e.Target);
        Assert.Equal(
            $"Feature 'step_cli' was not found. Known features: base_setup, docker, trusted_ca. Searched: {mine}, {bundled}.",
            e.Message);
        Assert.Equal("Check the name, or add the folder that holds feature_install_step_cli.sh with -FeaturePath.", e.RecommendedAction);
    }

    [Fact]
    public void Resolve_suggests_the_name_that_differs_only_in_case()
    {
        string bundled = _temp.Folder("bundled");
        _temp.Write("bundled", "feature_install_docker.sh", Script("d"));

        var e = Assert.Throws<PhoenixException>(() => new FeatureCatalog(bundled).Resolve("Docker"));

        Assert.Equal(
            $"Feature 'Docker' was not found. Known features: docker. Did you mean 'docker'? Feature names are case-sensitive. Searched: {bundled}.",
            e.Message);
    }

    [Fact]
    public void Resolve_in_an_empty_catalog_says_there_is_none()
    {
        string bundled = _temp.Folder("empty");

        var e = Assert.Throws<PhoenixException>(() => new FeatureCatalog(bundled).Resolve("docker"));

        Assert.Equal($"Feature 'docker' was not found. Known features: (none). Searched: {bundled}.", e.Message);
    }

    [Theory]
    [InlineData("../docker")]
    [InlineData("docker.sh/x")]
    [InlineData("")]
    [InlineData("-rf")]
    [InlineData("two words")]
    public void Resolve_refuses_a_name_that_cannot_be_a_feature(string name)
    {
        string bundled = _temp.Folder("bundled");

        var e = Assert.Throws<PhoenixException>(() => new FeatureCatalog(bundled).Resolve(name));

        Assert.Equal(PhoenixErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("InvalidFeatureName", e.Reason);
        Assert.Equal($"'{name}' is not a valid feature name: use letters, digits, '.', '_' and '-', starting with a letter or digit.", e.Message);
    }

    [Fact]
    public void TryResolve_answers_without_throwing()
    {
        string bundled = _temp.Folder("bundled");
        _temp.Write("bundled", "feature_install_docker.sh", Script("d"));
        var catalog = new FeatureCatalog(bundled);

        Assert.True(catalog.TryResolve("docker", out var found));
        Assert.Equal("docker", found!.Name);
        Assert.False(catalog.TryResolve("nope", out var missing));
        Assert.Null(missing);
        Assert.False(catalog.TryResolve("../etc", out _));
    }

    [Fact]
    public void A_missing_folder_is_an_error_naming_it()
    {
        string bundled = _temp.Folder("bundled");
        string missing = Path.Combine(bundled, "does-not-exist");

        var e = Assert.Throws<PhoenixException>(() => new FeatureCatalog(bundled, new[] { missing }));

        Assert.Equal(PhoenixErrorKind.NotFound, e.Kind);
        Assert.Equal("FeatureFolderNotFound", e.Reason);
        Assert.Equal($"The feature folder '{missing}' does not exist.", e.Message);
    }

    [Fact]
    public void The_catalog_sees_scripts_added_after_it_was_made()
    {
        string bundled = _temp.Folder("bundled");
        var catalog = new FeatureCatalog(bundled);
        Assert.Empty(catalog.GetAll());

        _temp.Write("bundled", "feature_install_late.sh", Script("late"));

        Assert.Equal("late", catalog.Resolve("late").Description);
    }

    [Fact]
    public void A_user_only_catalog_has_no_bundled_folder()
    {
        string mine = _temp.Folder("mine");
        _temp.Write("mine", "feature_install_x.sh", Script("x"));

        var catalog = new FeatureCatalog(null, new[] { mine });

        Assert.Null(catalog.BundledFolder);
        Assert.Equal(FeatureSource.User, catalog.Resolve("x").Origin);
    }

    [Fact]
    public void FileNameFor_and_IsValidName()
    {
        Assert.Equal("feature_install_base_setup.sh", FeatureCatalog.FileNameFor("base_setup"));
        Assert.True(ProxmoxNames.IsValidFeatureName("step_cli"));
        Assert.True(ProxmoxNames.IsValidFeatureName("v1.2-beta"));
        Assert.False(ProxmoxNames.IsValidFeatureName(".hidden"));
        Assert.False(ProxmoxNames.IsValidFeatureName(new string('a', 65)));
        Assert.False(ProxmoxNames.IsValidFeatureName(null));
    }

    [Fact]
    public void The_bundled_features_folder_has_docker_and_base_setup_with_their_header_descriptions()
    {
        var all = new FeatureCatalog(RepoPaths.Features).GetAll();

        Assert.Equal(new[] { "base_setup", "docker" }, all.Select(f => f.Name));
        Assert.Equal(
            "Applies pending package updates, installs common tools (curl, ca-certificates, gnupg, jq, htop, unattended-upgrades) and sets the time zone.",
            all[0].Description);
        Assert.Equal(
            "Installs Docker Engine from Docker's apt repository, starts it, and adds the VM's user to the docker group.",
            all[1].Description);
        Assert.All(all, f => Assert.True(f.Length < FeatureContract.MaxDeliveryBytes));
        Assert.All(all, f => Assert.Matches("^[0-9a-f]{64}$", f.Hash));
    }
}
