using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

public sealed class UsbGadgetHostTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("usbgadget-host-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void TheContentRoot_IsTheAppsDirectory_WhereverTheAppIsStartedFrom()
    {
        string current = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _directory;
        try
        {
            HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder([]);

            Assert.Equal(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), Path.TrimEndingDirectorySeparator(builder.Environment.ContentRootPath));
        }
        finally
        {
            Environment.CurrentDirectory = current;
        }
    }

    [Fact]
    public void AnExplicitContentRoot_IsWhereTheSettingsAreRead()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """{ "UsbGadget": { "ProductId": "0x0105" } }""");
        HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder([$"--contentRoot={_directory}"]);
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());
        using IHost host = builder.Build();

        Assert.Equal(0x0105, host.Services.GetRequiredService<IOptions<UsbGadgetOptions>>().Value.ProductId);
    }

    [Fact]
    public async Task AContentRootThatCannotBeEntered_EndsWithExitCode2_AndOneLine()
    {
        string missing = Path.Combine(_directory, "missing");
        HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder([$"--contentRoot={missing}"]);
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());

        (int exitCode, string stderr) = await RunAsync(builder.Build());

        Assert.Equal(GadgetExitCodes.InvalidConfiguration, exitCode);
        Assert.Equal(
            $"Cannot read the settings: the content root given by --contentRoot or DOTNET_CONTENTROOT, {missing}, is not a directory this user can enter. "
            + "Check that it exists and that every directory above it is searchable (chmod o+x), run as root (sudo), or give another directory with --contentRoot=DIR.",
            stderr.TrimEnd());
    }

    [Fact]
    public async Task BrokenSettingsJson_EndsWithExitCode2_AndOneLineNamingTheFile()
    {
        File.WriteAllText(Path.Combine(_directory, "appsettings.json"), """{ "UsbGadget": { "ProductId": 0x0105 } }""");
        HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder([$"--contentRoot={_directory}"]);
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());

        (int exitCode, string stderr) = await RunAsync(builder.Build());

        Assert.Equal(GadgetExitCodes.InvalidConfiguration, exitCode);
        string line = Assert.Single(stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Cannot read the settings in {_directory}: ", line, StringComparison.Ordinal);
        Assert.Contains("appsettings.json", line, StringComparison.Ordinal);
        Assert.EndsWith("Fix or remove the file, or give another directory with --contentRoot=DIR.", line, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string StandardError)> RunAsync(IHost host)
    {
        var stderr = new StringWriter();
        TextWriter original = Console.Error;
        Console.SetError(stderr);
        try
        {
            return (await host.RunGadgetAsync(), stderr.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
