using System.Diagnostics;
using System.Text;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>Harness pieces that need no VM: initramfs writer, module ordering, quoting, option checks.</summary>
[Trait("Category", "Unit")]
public sealed class HarnessUnitTests
{
    [Fact]
    public void CpioWriter_WritesNewcHeaderNameAndDataEachPaddedToFourBytes()
    {
        using var stream = new MemoryStream();
        using (var cpio = new CpioWriter(stream))
        {
            cpio.AddFile("init", "hi"u8, 0x1ED);
        }

        string expectedEntry =
            "070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000" + "00000002" +
            "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000" + "init\0" + "\0" + "hi\0\0";
        string expectedTrailer =
            "070701" + "00000000" + "00000000" + "00000000" + "00000000" + "00000001" + "00000000" + "00000000" +
            "00000000" + "00000000" + "00000000" + "00000000" + "0000000b" + "00000000" + "TRAILER!!!\0" + "\0\0\0";
        Assert.Equal(expectedEntry + expectedTrailer, Encoding.Latin1.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task CpioWriter_ArchiveIsReadByGnuCpio()
    {
        string directory = Path.Combine(AppContext.BaseDirectory, $"cpio-test-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        try
        {
            string archive = Path.Combine(directory, "test.cpio");
            using (FileStream file = File.Create(archive))
            using (var cpio = new CpioWriter(file))
            {
                cpio.AddDirectory("modules");
                cpio.AddFile("modules/order", "a.ko\nb.ko x=1\n"u8);
                cpio.AddFile("bin/odd-length", new byte[1001]);
            }

            var start = new ProcessStartInfo("cpio", "-idv --quiet") { WorkingDirectory = directory, RedirectStandardInput = true, RedirectStandardError = true };
            using Process cpioProcess = StartOrSayHowToInstall(start, "cpio");
            await cpioProcess.StandardInput.BaseStream.WriteAsync(await File.ReadAllBytesAsync(archive));
            cpioProcess.StandardInput.Close();
            string listing = await cpioProcess.StandardError.ReadToEndAsync();
            await cpioProcess.WaitForExitAsync();

            Assert.Equal(0, cpioProcess.ExitCode);
            Assert.Equal(["modules", "modules/order", "bin/odd-length"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("a.ko\nb.ko x=1\n", await File.ReadAllTextAsync(Path.Combine(directory, "modules", "order")));
            Assert.Equal(1001, new FileInfo(Path.Combine(directory, "bin", "odd-length")).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Starts a host tool this test checks against, or fails in one line naming the package that provides it.</summary>
    private static Process StartOrSayHowToInstall(ProcessStartInfo start, string package)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"'{start.FileName}' could not be started ({ex.Message}). Install it with: sudo apt-get install -y {package} (bash .ci/run installs every package the tests use).", ex);
        }
    }

    // Lines as depmod writes them for Debian's 6.1 kernel.
    private const string ModulesDep = """
        kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
        kernel/net/9p/9pnet.ko:
        kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
        kernel/fs/netfs/netfs.ko:
        kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
        kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
        kernel/drivers/virtio/virtio_ring.ko:
        kernel/drivers/usb/gadget/udc/dummy_hcd.ko: kernel/drivers/usb/gadget/udc/udc-core.ko kernel/drivers/usb/core/usbcore.ko kernel/drivers/usb/common/usb-common.ko
        kernel/drivers/usb/gadget/udc/udc-core.ko: kernel/drivers/usb/common/usb-common.ko
        kernel/drivers/usb/core/usbcore.ko: kernel/drivers/usb/common/usb-common.ko
        kernel/drivers/usb/common/usb-common.ko:
        """;

    [Fact]
    public void KernelModules_LoadOrder_PutsEveryDependencyBeforeItsUser()
    {
        KernelModules modules = KernelModules.Parse(ModulesDep);

        IReadOnlyList<string> order = modules.LoadOrder(["9pnet_virtio", "9p", "dummy_hcd"]);

        Assert.Equal(
            ["virtio_ring", "virtio", "9pnet", "9pnet_virtio", "netfs", "fscache", "9p", "usb_common", "usbcore", "udc_core", "dummy_hcd"],
            order);
    }

    [Fact]
    public void KernelModules_TreatsDashAndUnderscoreAlike_AndNamesAnUnknownModule()
    {
        KernelModules modules = KernelModules.Parse(ModulesDep);

        Assert.Equal("kernel/drivers/usb/gadget/udc/udc-core.ko", modules.PathOf("udc_core"));
        Assert.Equal(["usb_common", "udc_core"], modules.LoadOrder(["udc-core"]));
        var exception = Assert.Throws<GadgetVmException>(() => modules.LoadOrder(["usb_f_nope"]));
        Assert.Contains("usb_f_nope", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KernelModules_LoadOrder_SkipsBuiltInModules_As612BuildsVirtioAndNetfsIn()
    {
        // 6.12: virtio, virtio_ring, virtio_pci and netfs are in modules.builtin, so modules.dep no longer lists them.
        const string Dep612 = """
            kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko
            kernel/net/9p/9pnet.ko:
            kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko
            """;
        const string Builtin612 = """
            kernel/drivers/virtio/virtio.ko
            kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_pci.ko
            kernel/fs/netfs/netfs.ko
            """;
        KernelModules modules = KernelModules.Parse(Dep612, Builtin612, "linux-image-test");

        IReadOnlyList<string> order = modules.LoadOrder(["virtio_pci", "9pnet_virtio", "9p"]);

        Assert.Equal(["9pnet", "9pnet_virtio", "9p"], order);
        Assert.True(modules.IsBuiltIn("virtio_pci"));
        Assert.False(modules.IsBuiltIn("9p"));
    }

    [Fact]
    public void KernelModules_AModuleNeitherLoadableNorBuiltIn_FailsNamingTheModuleAndTheKernel()
    {
        KernelModules modules = KernelModules.Parse(ModulesDep, "", "linux-image-6.12.90+deb12-cloud-amd64 (6.12.90+deb12-cloud-amd64)");

        var exception = Assert.Throws<GadgetVmException>(() => modules.LoadOrder(["usbcore", "dummy_hcd_missing"]));

        Assert.Contains("no module 'dummy_hcd_missing'", exception.Message, StringComparison.Ordinal);
        Assert.Contains("linux-image-6.12.90+deb12-cloud-amd64", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "stable")]
    [InlineData("", "stable")]
    [InlineData("stable", "stable")]
    [InlineData(" 6.12 ", "6.12")]
    [InlineData("6.1", "6.1")]
    [InlineData("6.18", "6.18")]
    public void KernelChoice_Parse_AcceptsStableAndASeries(string? text, string expected) =>
        Assert.Equal(expected, KernelChoice.Parse(text, "USBGADGET_VM_KERNEL").ToString());

    [Theory]
    [InlineData("6")]
    [InlineData("6.12.90")]
    [InlineData("latest")]
    public void KernelChoice_Parse_RejectsAnythingElse_InOneLineNamingTheThreeForms(string text)
    {
        var exception = Assert.Throws<GadgetVmException>(() => KernelChoice.Parse(text, "USBGADGET_VM_KERNEL"));

        Assert.StartsWith($"USBGADGET_VM_KERNEL: '{text}' is not a kernel choice.", exception.Message, StringComparison.Ordinal);
        Assert.Contains("a series such as 6.1, 6.12 or 6.18", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', exception.Message);
    }

    [Fact]
    public void KernelChoice_Parse_AMissingDeb_FailsNamingThePath()
    {
        var exception = Assert.Throws<GadgetVmException>(() => KernelChoice.Parse("/nonexistent/linux-image.deb", "GadgetVmOptions.Kernel"));

        Assert.Equal("GadgetVmOptions.Kernel: the kernel package '/nonexistent/linux-image.deb' does not exist.", exception.Message);
    }

    [Fact]
    public void KernelChoice_Parse_AnExistingDeb_IsTakenAsAFile()
    {
        string deb = Path.Combine(AppContext.BaseDirectory, $"kernel-choice-{Environment.ProcessId}.deb");
        File.WriteAllText(deb, "");
        try
        {
            Assert.Equal(new KernelChoice.DebFile(deb), KernelChoice.Parse(deb, "GadgetVmOptions.Kernel"));
        }
        finally
        {
            File.Delete(deb);
        }
    }

    [Fact]
    public async Task StartAsync_WithKernelChoiceAndKernelPackageBoth_FailsBeforeDoingAnything()
    {
        var options = new GadgetVmOptions { Kernel = "6.12", KernelPackage = "linux-image-6.1.0-57-amd64" };

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => GadgetVm.StartAsync(options));

        Assert.Contains("keep one", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linux-image-6.1.0-57-amd64", "6.1", new[] { 6, 1, 0, 57, 0, 0 })]
    [InlineData("linux-image-6.12.90+deb12-amd64", "6.12", new[] { 6, 12, 90, 0, 12, 0 })]
    [InlineData("linux-image-6.12.90+deb12.1-amd64", "6.12", new[] { 6, 12, 90, 0, 12, 1 })]
    [InlineData("linux-image-6.18.15+deb13-amd64", "6.18", new[] { 6, 18, 15, 0, 13, 0 })]
    public void DebianKernelPackage_TryParse_ReadsSeriesAndOrderingKey(string name, string series, int[] version)
    {
        Assert.True(DebianKernelPackage.TryParse(name, "amd64", out DebianKernelPackage? package));
        Assert.Equal(series, package.Series);
        Assert.Equal(version, package.Version);
    }

    [Theory]
    [InlineData("linux-image-6.12.90+deb12-cloud-amd64")]
    [InlineData("linux-image-6.12.90+deb12-rt-amd64")]
    [InlineData("linux-image-6.12.90+deb12-amd64-unsigned")]
    [InlineData("linux-image-6.12.90+deb12-arm64")]
    [InlineData("linux-image-amd64")]
    public void DebianKernelPackage_TryParse_TakesOnlyThePlainFlavourOfTheArchitecture(string name) =>
        Assert.False(DebianKernelPackage.TryParse(name, "amd64", out _));

    [Fact]
    public void DebianKernelPackage_Compare_PutsTheNewestLast_NumericallyAndWithRebuildsAfterTheirBase()
    {
        string[] names = ["linux-image-6.12.90+deb12.1-amd64", "linux-image-6.12.100+deb12-amd64", "linux-image-6.12.9+deb12-amd64", "linux-image-6.12.90+deb12-amd64"];
        DebianKernelPackage[] packages = names.Select(n => DebianKernelPackage.TryParse(n, "amd64", out DebianKernelPackage? p) ? p : throw new InvalidOperationException(n)).ToArray();

        Array.Sort(packages, DebianKernelPackage.Compare);

        Assert.Equal(
            ["linux-image-6.12.9+deb12-amd64", "linux-image-6.12.90+deb12-amd64", "linux-image-6.12.90+deb12.1-amd64", "linux-image-6.12.100+deb12-amd64"],
            packages.Select(p => p.Name));
    }

    [Fact]
    public void DebianArchive_WritesItsOwnSourcesList_AndPointsEveryAptCallAtItsOwnState()
    {
        string state = Path.Combine(AppContext.BaseDirectory, $"debian-archive-{Environment.ProcessId}");
        try
        {
            var archive = new DebianArchive(state, [new("http://mirror.example/debian", "bookworm-backports"), new("http://mirror.example/debian", "trixie-backports", "main contrib")], "arm64");

            string[] lines = File.ReadAllLines(Path.Combine(state, "sources.list"));
            Assert.Equal(2, lines.Length);
            Assert.Matches(@"^deb \[arch=arm64( signed-by=\S+)?\] http://mirror.example/debian bookworm-backports main$", lines[0]);
            Assert.EndsWith("] http://mirror.example/debian trixie-backports main contrib", lines[1], StringComparison.Ordinal);
            Assert.Equal(
                [
                    "-o", $"Dir::Etc::sourcelist={state}/sources.list", "-o", "Dir::Etc::sourceparts=-",
                    "-o", $"Dir::State::Lists={state}/lists", "-o", $"Dir::Cache={state}/cache",
                    "-o", "APT::Architectures::=arm64", "-o", "APT::Architecture=arm64",
                ],
                archive.AptOptions);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public void DebianArchive_MachineMirror_IsAnHttpArchiveRootEndingInItsName() =>
        Assert.Matches(@"^(https?|file|ftp)://\S+/debian-security$", DebianArchive.MachineMirror("debian-security"));

    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("$HOME `x` \"q\"", "'$HOME `x` \"q\"'")]
    [InlineData("", "''")]
    public void GuestShell_Quote_MakesOneLiteralShellWord(string value, string expected) =>
        Assert.Equal(expected, GuestShell.Quote(value));

    [Fact]
    public void VmAssets_IsStaticElf_RejectsDynamicExecutablesAndNonElfFiles()
    {
        Assert.False(VmAssets.IsStaticElf("/bin/sh"));
        Assert.False(VmAssets.IsStaticElf("/etc/hostname"));
    }

    [Fact]
    public async Task StartAsync_WithCacheUnderTmp_FailsSayingWhyAndWhatToSet()
    {
        var options = new GadgetVmOptions { CacheDirectory = "/tmp/usbgadget-vm" };

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => GadgetVm.StartAsync(options));

        Assert.Contains("under /tmp", exception.Message, StringComparison.Ordinal);
        Assert.Contains("USBGADGET_VM_CACHE", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_WithoutQemuAndNoInstalling_FailsNamingTheAptGetCommand()
    {
        var options = new GadgetVmOptions
        {
            QemuPath = "/nonexistent/qemu-system-x86_64",
            InstallMissingPackages = false,
            CacheDirectory = Path.Combine(AppContext.BaseDirectory, "unused-vm-cache"),
        };

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => GadgetVm.StartAsync(options));

        Assert.Contains("qemu-system-x86", exception.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y qemu-system-x86", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Arm64WithoutQemuAndNoInstalling_FailsNamingQemuSystemArm()
    {
        var options = new GadgetVmOptions
        {
            Architecture = GadgetVmArchitecture.Arm64,
            QemuPath = "/nonexistent/qemu-system-aarch64",
            InstallMissingPackages = false,
            CacheDirectory = Path.Combine(AppContext.BaseDirectory, "unused-vm-cache"),
        };

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => GadgetVm.StartAsync(options));

        Assert.Contains("apt-get install -y qemu-system-arm", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("qemu-system-x86", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_Arm64WithAKernelPackageOfTheMachinesApt_FailsSayingToChooseAKernelSeries()
    {
        var options = new GadgetVmOptions
        {
            Architecture = GadgetVmArchitecture.Arm64,
            KernelPackage = "linux-image-6.1.0-57-amd64",
            Kernel = "stable", // not $USBGADGET_VM_KERNEL: CI's kernel matrix sets it, and both set is another error
            CacheDirectory = Path.Combine(AppContext.BaseDirectory, "unused-vm-cache"),
        };

        var exception = await Assert.ThrowsAsync<GadgetVmException>(() => GadgetVm.StartAsync(options));

        Assert.Contains("linux-image-6.1.0-57-amd64", exception.Message, StringComparison.Ordinal);
        Assert.Contains("set Kernel to a series (e.g. 6.18)", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Environment.NewLine, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishNativeAotAsync_ForARuntimeTheVmDoesNotRun_FailsBeforePublishing()
    {
        var exception = await Assert.ThrowsAsync<ArgumentException>(
            () => GadgetBuild.PublishNativeAotAsync("gadgets/HidKeyboard/HidKeyboard.csproj", "unused", runtimeIdentifier: "linux-arm"));

        Assert.Equal("runtimeIdentifier", exception.ParamName);
        Assert.Contains("linux-x64 or linux-arm64", exception.Message, StringComparison.Ordinal);
    }
}
