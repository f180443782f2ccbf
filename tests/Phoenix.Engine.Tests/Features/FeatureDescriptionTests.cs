using Xunit;
using Phoenix.Engine.Features;

namespace Phoenix.Engine.Tests.Features;

public sealed class FeatureDescriptionTests
{
    [Fact]
    public void The_description_line_of_the_header_comment_is_read()
    {
        const string script = "#!/usr/bin/env bash\n# feature_install_x.sh: Phoenix feature \"x\".\n# Description:   Installs X and starts it.  \n#\nset -euo pipefail\n";

        Assert.Equal("Installs X and starts it.", FeatureInfo.ParseDescription(script));
    }

    [Fact]
    public void Blank_lines_inside_the_header_are_allowed_and_the_key_is_case_insensitive()
    {
        const string script = "#!/bin/bash\n\n# Some title\n\n#description: lower-case key\necho\n";

        Assert.Equal("lower-case key", FeatureInfo.ParseDescription(script));
    }

    [Fact]
    public void A_description_after_the_first_code_line_does_not_count()
    {
        const string script = "#!/bin/bash\nset -e\n# Description: too late\n";

        Assert.Null(FeatureInfo.ParseDescription(script));
    }

    [Fact]
    public void The_first_description_line_wins_and_an_empty_one_is_skipped()
    {
        const string script = "#!/bin/bash\n# Description:\n# Description: first real one\n# Description: second\n";

        Assert.Equal("first real one", FeatureInfo.ParseDescription(script));
    }

    [Fact]
    public void Windows_line_endings_do_not_leak_into_the_description()
    {
        const string script = "#!/bin/bash\r\n# Description: from Windows\r\nexit 0\r\n";

        Assert.Equal("from Windows", FeatureInfo.ParseDescription(script));
    }

    [Fact]
    public void A_file_with_a_byte_order_mark_is_read_through_the_catalog()
    {
        using var temp = new TempFolders();
        string folder = temp.Folder("b");
        File.WriteAllBytes(Path.Combine(folder, "feature_install_bom.sh"),
            new byte[] { 0xEF, 0xBB, 0xBF }.Concat("# Description: with a BOM\n"u8.ToArray()).ToArray());

        Assert.Equal("with a BOM", new FeatureCatalog(folder).Resolve("bom").Description);
    }
}
