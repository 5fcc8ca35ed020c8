using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Samples;

/// <summary>
/// A function whose <c>RunAsync</c> throws on the real kernel (tests/UsbGadget.Hosting.VmGadget): the app never keeps a
/// silently dead interface. It runs the function again with a back-off and, past the restart limit or at once with
/// <c>StopApplication</c>, stops with exit code 3 and one line per failure, and leaves no gadget behind.
/// </summary>
public sealed class FunctionFailureTests(GadgetVmFixture fixture) : VmTestBase(fixture)
{
    private static readonly Lazy<string> s_dll = new(() =>
    {
        string project = Path.Combine(Sample.RepositoryRoot, "tests", "UsbGadget.Hosting.VmGadget", "UsbGadget.Hosting.VmGadget.csproj");
        GadgetBuild.BuildAsync(project).GetAwaiter().GetResult();
        return Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", "UsbGadget.Hosting.VmGadget.dll");
    });

    [Fact]
    public async Task WithStopApplication_TheAppExitsWith3_InOneLine_AndTearsTheGadgetDown()
    {
        GuestCommandResult run = await RunAsync(("UsbGadget__OnFunctionFailure", "StopApplication"));

        Assert.True(run.ExitCode == 3, $"exit code {run.ExitCode}, not 3.{Environment.NewLine}{run.Describe()}");
        Assert.Contains(
            "Function 'broken' failed: InvalidOperationException: run 1 broke on purpose. Stopping the app with exit code 3 (UsbGadget:OnFunctionFailure is StopApplication)",
            run.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.StandardOutput + run.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithRestart_TheFunctionRunsAgainWithABackOff_ThenTheAppExitsWith3PastTheLimit()
    {
        GuestCommandResult run = await RunAsync(("UsbGadget__FunctionRestartLimit", "2"), ("UsbGadget__FunctionRestartDelay", "00:00:00.2"));

        Assert.True(run.ExitCode == 3, $"exit code {run.ExitCode}, not 3.{Environment.NewLine}{run.Describe()}");
        string output = run.StandardOutput;
        Assert.Contains("Function 'broken' failed: InvalidOperationException: run 1 broke on purpose. Failure 1 in a row (limit 2); running it again in 00:00:00.2000000", output, StringComparison.Ordinal);
        Assert.Contains("Function 'broken' failed: InvalidOperationException: run 2 broke on purpose. Failure 2 in a row (limit 2); running it again in 00:00:00.4000000", output, StringComparison.Ordinal);
        Assert.Contains("run 3 broke on purpose. Stopping the app with exit code 3 (3 failures in a row, more than UsbGadget:FunctionRestartLimit)", output, StringComparison.Ordinal);
    }

    private async Task<GuestCommandResult> RunAsync(params (string Name, string Value)[] environment)
    {
        await Vm.SetSpeedAsync(GadgetVmSpeed.High);
        var options = new GuestCommandOptions { WorkingDirectory = "/" };
        options.Environment["DOTNET_NOLOGO"] = "1";
        options.Environment["Logging__Console__FormatterName"] = "simple";
        foreach ((string name, string value) in environment)
        {
            options.Environment[name] = value;
        }
        await using GuestProcess gadget = Vm.StartProcess(GuestShell.Join("dotnet", s_dll.Value), options);
        GuestCommandResult run = await gadget.WaitForExitAsync(TimeSpan.FromSeconds(120));

        GuestCommandResult leftovers = await Vm.RunAsync("ls /sys/kernel/config/usb_gadget/; grep functionfs /proc/mounts || true");
        Assert.True(leftovers.StandardOutput.Trim().Length == 0, $"left behind:{Environment.NewLine}{leftovers.StandardOutput}{run.Describe()}");
        return run;
    }
}
