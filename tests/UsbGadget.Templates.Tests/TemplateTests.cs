using System.Diagnostics;
using UsbGadget.Testing;
using Xunit.Abstractions;

namespace UsbGadget.Templates.Tests;

/// <summary>
/// <c>dotnet new usbgadget</c> as a user runs it: the template installed from the package, a project made outside the
/// checkout, restored from the local feed (the packed libraries) and nuget.org, built, and its own VM test run.
/// </summary>
[Collection(PackedRepositoryCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class TemplateTests(PackedRepository packed, ITestOutputHelper output)
{
    [Fact]
    public async Task NewProject_BuildsOutsideTheCheckout_AgainstThePackedPackages_AndItsVmTestPasses()
    {
        string work = NewDirectory();
        Stopwatch stopwatch = Stopwatch.StartNew();
        HostCommandResult created = await packed.DotnetAsync(work, "new", "usbgadget", "-n", "Foo", "--debug:custom-hive", packed.Hive);
        Assert.True(created.Succeeded, created.Describe());
        string project = Path.Combine(work, "Foo");
        Measure("dotnet new usbgadget -n Foo (with its restore)", stopwatch);

        // Restored from the feed into the private cache: the packed packages, of the packed version.
        foreach (string id in new[] { "usbgadget.hosting", "usbgadget", "usbgadget.aio", "usbgadget.testing" })
        {
            Assert.True(Directory.Exists(Path.Combine(packed.PackageCache, id, packed.Version)), $"{id} {packed.Version} was not restored from the local feed.");
        }

        // Nothing in the project points back into the checkout.
        foreach (string file in Directory.GetFiles(project, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(PackedRepository.RepositoryRoot, File.ReadAllText(file), StringComparison.Ordinal);
        }

        // The one command its README gives: build everything and run the gadget in the VM.
        stopwatch.Restart();
        HostCommandResult tested = await packed.DotnetAsync(project, "test", "-c", "Release", "--logger", "console;verbosity=normal");
        Measure("dotnet test (build, VM boot, gadget run)", stopwatch);
        if (!tested.Succeeded)
        {
            output.WriteLine(tested.StandardOutput);
            output.WriteLine(tested.StandardError);
            int failure = tested.StandardOutput.IndexOf("Error Message:", StringComparison.Ordinal);
            Assert.Fail($"The new project's own test failed (its whole output is in this test's output).{Environment.NewLine}"
                + (failure >= 0 ? tested.StandardOutput[failure..Math.Min(tested.StandardOutput.Length, failure + 3000)] : tested.Describe()));
        }

        Assert.Contains("Passed Foo.Tests.GadgetTests.Enumerates_AndEchoesWhatTheHostWrites", tested.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", tested.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task NewProject_NamedLikeAUsbGadgetPackage_FailsToBuild_WithOneLineSayingHowToFixIt()
    {
        string work = NewDirectory();
        HostCommandResult created = await packed.DotnetAsync(work, "new", "usbgadget", "-n", "UsbGadget.Hosting", "--no-restore", "--debug:custom-hive", packed.Hive);
        Assert.True(created.Succeeded, created.Describe());

        HostCommandResult built = await packed.DotnetAsync(Path.Combine(work, "UsbGadget.Hosting"), "build");

        Assert.False(built.Succeeded);
        Assert.Contains(
            "The project is named 'UsbGadget.Hosting', like the UsbGadget package it uses, so NuGet cannot tell them apart. Create it again under another name: dotnet new usbgadget -n MyBoard",
            built.StandardOutput,
            StringComparison.Ordinal);
        Assert.DoesNotContain("NU1108", built.StandardOutput, StringComparison.Ordinal); // not NuGet's cycle report instead
    }

    [Fact]
    public async Task NewProject_WhereOneExists_IsRefused_AndChangesNothing()
    {
        string work = NewDirectory();
        HostCommandResult first = await packed.DotnetAsync(work, "new", "usbgadget", "-n", "Board", "--no-restore", "--debug:custom-hive", packed.Hive);
        Assert.True(first.Succeeded, first.Describe());
        string program = Path.Combine(work, "Board", "src", "Board", "Program.cs");
        File.WriteAllText(program, "// my work");

        HostCommandResult second = await packed.DotnetAsync(work, "new", "usbgadget", "-n", "Board", "--no-restore", "--debug:custom-hive", packed.Hive);

        Assert.False(second.Succeeded);
        Assert.Contains("--force", second.StandardOutput + second.StandardError, StringComparison.Ordinal);
        Assert.Equal("// my work", File.ReadAllText(program));
    }

    [Theory]
    [InlineData("1st-gadget", "_1st_gadget", "_1st_gadget")]
    [InlineData("My Gadget", "My_Gadget", "my_gadget")]
    [InlineData("Lab.Echo", "Lab.Echo", "lab.echo")]
    public async Task NewProject_NamedWithCharactersCSharpDoesNotAllow_UsesOneSafeNameForFilesNamespaceGadgetAndUnit(
        string name, string safeName, string lowerName)
    {
        string work = NewDirectory();
        HostCommandResult created = await packed.DotnetAsync(work, "new", "usbgadget", "-n", name, "--no-restore", "--debug:custom-hive", packed.Hive);
        Assert.True(created.Succeeded, created.Describe());
        string root = Path.Combine(work, name);

        // Project files, the solution's paths, the namespace and the test's path to the gadget all agree.
        string app = Path.Combine(root, "src", safeName);
        Assert.True(File.Exists(Path.Combine(app, $"{safeName}.csproj")), string.Join(Environment.NewLine, Directory.GetFiles(root, "*", SearchOption.AllDirectories)));
        Assert.Contains($"""<Project Path="src/{safeName}/{safeName}.csproj" />""", File.ReadAllText(Path.Combine(root, $"{safeName}.slnx")), StringComparison.Ordinal);
        Assert.Contains($"namespace {safeName};", File.ReadAllText(Path.Combine(app, "EchoFunction.cs")), StringComparison.Ordinal);
        Assert.Contains($"/src/{safeName}/bin/$(Configuration)/$(TargetFramework)/{safeName}.dll", File.ReadAllText(Path.Combine(root, "tests", $"{safeName}.Tests", $"{safeName}.Tests.csproj")), StringComparison.Ordinal);
        // configfs and systemd get the lower-case form, with no space.
        Assert.Contains($"\"Name\": \"{lowerName}\"", File.ReadAllText(Path.Combine(app, "appsettings.json")), StringComparison.Ordinal);
        Assert.Contains($"ExecStart=/opt/{lowerName}/{safeName}", File.ReadAllText(Path.Combine(app, $"{lowerName}.service")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewProject_GetsItsOwnWinUsbInterfaceGuid_AndASystemdUnitSystemdAccepts()
    {
        string work = NewDirectory();
        HostCommandResult created = await packed.DotnetAsync(work, "new", "usbgadget", "-n", "Pi.Echo", "--no-restore", "--debug:custom-hive", packed.Hive);
        Assert.True(created.Succeeded, created.Describe());
        string app = Path.Combine(work, "Pi.Echo", "src", "Pi.Echo");

        Assert.DoesNotContain("0f8a7c3e-5d1b-4c2a-9e6f-3b7d2a1c4e58", File.ReadAllText(Path.Combine(app, "EchoFunction.cs")), StringComparison.OrdinalIgnoreCase);

        // systemd-analyze checks every key and path of the unit; only the app it starts is not installed here, so the
        // check runs on a copy that starts /bin/true instead.
        string unit = File.ReadAllText(Path.Combine(app, "pi.echo.service"));
        Assert.Contains("ExecStart=/opt/pi.echo/Pi.Echo\n", unit, StringComparison.Ordinal);
        // Least privilege: the app runs as its own user; only the setup and teardown steps run as root.
        Assert.Contains("User=pi-echo\n", unit, StringComparison.Ordinal);
        Assert.Contains("ExecStartPre=+/opt/pi.echo/Pi.Echo --UsbGadget:Mode=Setup --UsbGadget:ServiceUser=pi-echo\n", unit, StringComparison.Ordinal);
        Assert.Contains("ExecStopPost=+/opt/pi.echo/Pi.Echo --UsbGadget:Mode=Teardown\n", unit, StringComparison.Ordinal);
        string copy = Path.Combine(work, "pi.echo.service");
        File.WriteAllText(copy, unit.Replace("/opt/pi.echo/Pi.Echo", "/bin/true", StringComparison.Ordinal));
        HostCommandResult verified;
        try
        {
            verified = await HostCommand.RunAsync("systemd-analyze", ["verify", copy], TimeSpan.FromMinutes(1));
        }
        catch (GadgetVmException e)
        {
            throw new InvalidOperationException($"This test checks the unit with systemd-analyze: apt-get install systemd. ({e.Message})", e);
        }

        Assert.True(verified.Succeeded && verified.StandardError.Trim().Length == 0 && verified.StandardOutput.Trim().Length == 0, verified.Describe());
    }

    private string NewDirectory()
    {
        string directory = Path.Combine(packed.Work, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        return directory;
    }

    private void Measure(string step, Stopwatch stopwatch)
    {
        string line = $"{step}: {stopwatch.Elapsed.TotalSeconds:0} s";
        output.WriteLine(line);
        packed.Log(line);
    }
}
