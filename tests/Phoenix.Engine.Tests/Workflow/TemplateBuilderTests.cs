using Phoenix.Engine.Errors;
using Phoenix.Engine.Proxmox;
using Phoenix.Engine.Workflow;
using Xunit;

namespace Phoenix.Engine.Tests.Workflow;

/// <summary>TemplateBuilder on the in-process simulator: a base template from a cloud image on the host, finished when half-built, left alone when
/// done.</summary>
public sealed class TemplateBuilderTests : IDisposable
{
    private const string ImagePath = "/var/lib/vz/template/iso/noble.img";

    private readonly SimulatedNode _node = new();

    public TemplateBuilderTests() => _node.WriteFile(ImagePath, "not really a disk image, but the simulator only imports it");

    public void Dispose() => _node.Dispose();

    [Fact]
    public async Task An_unnamed_VM_on_the_VMID_is_not_taken_over_either_and_the_error_says_the_way_out()
    {
        _node.Sim("qm", "create", "9100", "--memory", "512");

        var e = await Assert.ThrowsAsync<PhoenixException>(() => Build(Request()));

        Assert.Equal(ErrorIds.VmIdTaken, e.Reason);
        Assert.Contains("VM 9100 already exists on the host without a name, but the template is to be 'noble-tpl'", e.Message);
        Assert.Contains("qm set 9100 --name noble-tpl", e.RecommendedAction);
        Assert.Equal(new[] { "qm config 9100" }, _node.Commands);
        Assert.False(_node.Config(9100).IsTemplate);
    }

    private static TemplateRequest Request(int? diskSizeGb = 40, string image = "noble.img") => new()
    {
        VmId = 9100,
        Name = "noble-tpl",
        Image = image,
        Cores = 2,
        MemoryMb = 2048,
        DiskSizeGb = diskSizeGb,
    };

    private Task<StepOutcome> Build(TemplateRequest request, ProxmoxHost? host = null) =>
        TemplateBuilder.EnsureTemplateAsync(host ?? _node.Host, request, CancellationToken.None);

    private static string Verb(string command) => string.Join(" ", command.Split(' ').Take(2));

    [Fact]
    public async Task A_template_is_built_from_an_image_in_the_iso_folder_step_by_step()
    {
        var outcome = await Build(Request());

        Assert.Equal(new[]
        {
            "qm config", "qm create", "qm config", "pvesm path", "qm importdisk", "qm config", "qm set", "qm config", "qm resize", "qm template",
        }, _node.Commands.Select(Verb));
        Assert.Equal("qm create 9100 --name noble-tpl --cores 2 --memory 2048 --net0 'virtio,bridge=vmbr0' --scsihw virtio-scsi-pci " +
            "--ostype l26 --agent 1 --serial0 socket --vga serial0", _node.Commands[1]);
        Assert.Equal("pvesm path local:iso/noble.img", _node.Commands[3]);
        Assert.Equal($"qm importdisk 9100 {ImagePath} local-lvm", _node.Commands[4]);
        // This qm names the imported volume as newer Proxmox does ("unused0: successfully imported disk '...'"): it is read back.
        Assert.Equal("qm set 9100 --scsi0 local-lvm:vm-9100-disk-0 --ide2 local-lvm:cloudinit --boot 'order=scsi0'", _node.Commands[6]);
        Assert.Equal("qm resize 9100 scsi0 40G", _node.Commands[8]);
        Assert.Equal(new[]
        {
            "created", $"imported {ImagePath}", "set scsi0 local-lvm:vm-9100-disk-0", "set ide2 local-lvm:cloudinit", "set boot order=scsi0",
            "resized scsi0 to 40G", "converted to template",
        }, outcome.Changes);

        var config = _node.Config(9100);
        Assert.True(config.IsTemplate);
        Assert.Equal("noble-tpl", config.Name);
        Assert.NotNull(config.CloudInitDrive);
        Assert.True(config.IsAgentEnabled);
    }

    [Fact]
    public async Task A_finished_template_is_reported_unchanged_after_one_read()
    {
        await Build(Request());
        _node.Connection.Clear();

        var outcome = await Build(Request());

        Assert.False(outcome.Changed);
        Assert.Equal(new[] { "VM 9100 (noble-tpl) is already a template." }, outcome.Notes);
        Assert.Equal(new[] { "qm config 9100" }, _node.Commands);
    }

    [Fact]
    public async Task A_run_that_stopped_after_the_import_is_finished_without_importing_again()
    {
        _node.Sim("qm", "create", "9100", "--name", "noble-tpl", "--agent", "1", "--serial0", "socket");
        _node.Sim("qm", "importdisk", "9100", ImagePath, "local-lvm");

        var outcome = await Build(Request(diskSizeGb: null));

        Assert.DoesNotContain(_node.Commands, c => c.StartsWith("qm importdisk", StringComparison.Ordinal) || c.StartsWith("qm create",
            StringComparison.Ordinal));
        Assert.Equal(new[] { "qm config", "qm set", "qm template" }, _node.Commands.Select(Verb));
        Assert.Equal(new[] { "set scsi0 local-lvm:vm-9100-disk-0", "set ide2 local-lvm:cloudinit", "set boot order=scsi0", "converted to template" },
            outcome.Changes);
        Assert.True(_node.Config(9100).IsTemplate);
    }

    [Fact]
    public async Task Another_VM_on_the_VMID_is_never_turned_into_a_template()
    {
        _node.Sim("qm", "clone", "9000", "9100", "--name", "web-01");

        var e = await Assert.ThrowsAsync<PhoenixException>(() => Build(Request()));

        Assert.Equal(ErrorIds.VmIdTaken, e.Reason);
        Assert.Equal(new[] { "qm config 9100" }, _node.Commands);
        Assert.False(_node.Config(9100).IsTemplate);
    }

    [Fact]
    public async Task Without_an_image_a_missing_template_cannot_be_built_and_says_what_to_give()
    {
        var e = await Assert.ThrowsAsync<PhoenixException>(() => Build(Request(image: "")));

        Assert.Equal(ErrorIds.TemplateMissing, e.Reason);
        Assert.Equal("Template VM 9100 (noble-tpl) does not exist and no cloud image is given to build it from.", e.Message);
        Assert.Equal(new[] { "qm config 9100" }, _node.Commands);
    }

    [Fact]
    public async Task An_image_that_is_neither_a_host_path_nor_a_file_name_is_refused_before_the_VM_is_created()
    {
        var e = await Assert.ThrowsAsync<PhoenixException>(() => Build(Request(image: "sub/noble.img")));

        Assert.Equal(ErrorIds.InvalidImage, e.Reason);
        Assert.Equal(new[] { "qm config 9100" }, _node.Commands);
        Assert.False(_node.Exists(9100));
    }

    [Fact]
    public async Task An_image_url_needs_its_checksum_before_anything_is_downloaded()
    {
        var request = Request();
        request.Image = "";
        request.ImageUrl = "https://cloud-images.example/noble.img";

        var e = await Assert.ThrowsAsync<PhoenixException>(() => Build(request));

        Assert.Equal(ErrorIds.ImageChecksumMissing, e.Reason);
        Assert.DoesNotContain(_node.Commands, c => c.StartsWith("curl", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plan_lists_the_whole_build_and_makes_nothing()
    {
        using var recorder = new PlanRecorder(_node.Connection);

        var outcome = await Build(Request(), new ProxmoxHost(recorder, RetryPolicy.NoRetry));

        Assert.Equal(new[] { "qm create", "qm importdisk", "qm set", "qm resize", "qm template" }, recorder.Commands.Select(Verb));
        // From the config the create would give: the same options the real run sets, and nothing the create already set.
        Assert.Equal("qm set 9100 --scsi0 local-lvm:vm-9100-disk-0 --ide2 local-lvm:cloudinit --boot 'order=scsi0'", recorder.Commands[2]);
        Assert.Equal(new[] { "qm config 9100", "pvesm path local:iso/noble.img" }, _node.Commands);
        Assert.Contains("converted to template", outcome.Changes);
        Assert.False(_node.Exists(9100));
    }
}
