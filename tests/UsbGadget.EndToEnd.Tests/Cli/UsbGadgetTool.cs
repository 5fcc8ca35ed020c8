using UsbGadget.EndToEnd.Tests.Samples;
using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests.Cli;

/// <summary>The usbgadget tool, published once per test run with NativeAOT (which also proves it publishes that way), run in the guest as root.</summary>
internal static class UsbGadgetTool
{
    private static readonly Lazy<string> s_executable = new(() => GadgetBuild.PublishNativeAotAsync(
        Path.Combine(Sample.RepositoryRoot, "src", "UsbGadget.Cli", "UsbGadget.Cli.csproj"),
        Path.Combine(Sample.RepositoryRoot, "artifacts", "nativeaot", "UsbGadget.Cli")).GetAwaiter().GetResult());

    public static string Executable => s_executable.Value;

    public static Task<GuestCommandResult> RunAsync(GadgetVm vm, params string[] arguments) =>
        vm.RunAsync(GuestShell.Join([Executable, .. arguments]), TimeSpan.FromSeconds(60));

    /// <summary>The line after the finding that contains <paramref name="finding"/>: its fix.</summary>
    public static string FixOf(GuestCommandResult doctor, string finding)
    {
        string[] lines = doctor.StandardOutput.Split('\n');
        int index = Array.FindIndex(lines, l => l.Contains(finding, StringComparison.Ordinal));
        Assert.True(index >= 0 && index + 1 < lines.Length, $"no finding '{finding}' in:{Environment.NewLine}{doctor.Describe()}");
        string fix = lines[index + 1].Trim();
        Assert.True(fix.StartsWith("fix: ", StringComparison.Ordinal), $"the finding '{lines[index]}' has no fix line:{Environment.NewLine}{doctor.Describe()}");
        return fix["fix: ".Length..];
    }

    public static void AssertNoStackTrace(GuestCommandResult result) =>
        Assert.False((result.StandardOutput + result.StandardError).Contains("   at ", StringComparison.Ordinal), $"a stack trace:{Environment.NewLine}{result.Describe()}");
}
