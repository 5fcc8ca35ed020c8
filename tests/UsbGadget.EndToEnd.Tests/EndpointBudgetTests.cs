using UsbGadget.ConfigFs;
using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>
/// The endpoint budget against the real dummy_udc: the kernel binds exactly the gadgets the budget says fit (a script
/// builds them, so nothing of the library stands between configfs and the kernel), and hosting refuses one that does
/// not fit with one line, before configfs.
/// </summary>
public sealed class EndpointBudgetTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    [Theory]
    [InlineData("acm.a acm.b acm.c acm.d acm.e acm.f", true)]
    [InlineData("acm.a acm.b acm.c acm.d acm.e acm.f acm.g", false)]
    [InlineData("ncm.n acm.a mass_storage.d midi.m ecm.e rndis.r", true)]
    [InlineData("ncm.n acm.a mass_storage.d midi.m ecm.e rndis.r acm.b acm.c", false)]
    public async Task DummyUdc_TheKernelBindsExactlyTheGadgetsTheBudgetSaysFit(string functions, bool fits)
    {
        bool modelFits = UdcEndpointBudget.DummyUdc.FindShortfall([.. functions.Split(' ').Select(Definition)]) is null;
        string script = $$"""
            g=/sys/kernel/config/usb_gadget/budget
            mkdir $g && cd $g || exit 1
            echo 0x1d6b > idVendor; echo 0x0106 > idProduct; mkdir configs/c.1
            for f in {{functions}}; do mkdir functions/$f && ln -s functions/$f configs/c.1/ || exit 1; done
            if echo dummy_udc.0 > UDC 2>/tmp/bind.err; then echo bound; echo '' > UDC; else echo "refused: $(cat /tmp/bind.err)"; fi
            rm configs/c.1/*.*; rmdir configs/c.1 functions/*; cd /; rmdir $g
            """;

        GuestCommandResult result = await Vm.RunAsync(script);

        string outcome = result.EnsureSuccess().StandardOutput.Trim();
        Assert.Equal((fits, fits), (modelFits, outcome == "bound"));
        Assert.Equal("", (await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/")).StandardOutput.Trim());
    }

    private static FunctionDefinition Definition(string directoryName) => directoryName.Split('.') switch
    {
        ["acm", var i] => FunctionDefinition.Acm(i),
        ["ncm", var i] => FunctionDefinition.Ncm(i),
        ["ecm", var i] => FunctionDefinition.Ecm(i),
        ["rndis", var i] => FunctionDefinition.Rndis(i),
        ["mass_storage", var i] => FunctionDefinition.MassStorage(i, [new MassStorageLun(null)]),
        ["midi", var i] => FunctionDefinition.Midi(i),
        _ => throw new ArgumentException(directoryName, nameof(directoryName)),
    };

    [Fact]
    public async Task Hosting_AGadgetOverDummyUdcsBudget_FailsWithOneLine_NamingTheBudgetAndEachFunction_AndLeavesNothing()
    {
        // The sample's FunctionFS loopback takes a bulk pair; six serial ports want the other eleven IN endpoints and one more.
        await using GuestProcess gadget = Sample.Start(Vm, "BulkLoopback", SampleBuild.Jit, stdinCommand: null,
            [.. Enumerable.Range(0, 6).Select(i => ($"UsbGadget__KernelFunctions__Serial__{i}__Name", $"s{i}"))]);

        GuestCommandResult exited = await gadget.WaitForExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exited.ExitCode == 1, gadget.DescribeOutput());
        string line = Assert.Single(exited.StandardOutput.Split('\n'), l => l.Contains("needs more endpoints", StringComparison.Ordinal));
        Assert.Contains("Gadget 'bulkloopback' needs more endpoints than UDC 'dummy_udc.0' has: acm.s5 finds no interrupt IN endpoint left.", line, StringComparison.Ordinal);
        Assert.Contains("Budget of dummy_udc: 24 endpoints: 12 IN (3 of them interrupt only) and 12 OUT", line, StringComparison.Ordinal);
        Assert.Contains("acm.s0 3 (bulk IN, bulk OUT, interrupt IN)", line, StringComparison.Ordinal);
        Assert.Contains("Needs: ffs.bulkloopback-loopback 2 (bulk OUT, bulk IN); acm.s0 3 (bulk IN, bulk OUT, interrupt IN);", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", exited.StandardOutput + exited.StandardError, StringComparison.Ordinal);
        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.Equal("", leftovers.StandardOutput.Trim());
    }
}
