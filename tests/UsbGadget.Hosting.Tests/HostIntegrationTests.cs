using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

public sealed class HostIntegrationTests
{
    [Fact]
    public void Options_AreBoundFromTheUsbGadgetSection_OverCodeDefaults()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsbGadget:ProductId"] = "0x0106",
            ["UsbGadget:Languages:0x0407:Product"] = "Tastatur",
        });
        builder.Services.AddUsbGadget(o => { o.ProductId = "0x0105"; o.Manufacturer = "Code"; }).AddFunction(new RecordingFunction());
        using IHost host = builder.Build();

        UsbGadgetOptions options = host.Services.GetRequiredService<IOptions<UsbGadgetOptions>>().Value;

        Assert.Equal("0x0106", options.ProductId);
        Assert.Equal("Code", options.Manufacturer);
        Assert.Equal("Tastatur", options.Languages["0x0407"].Product);
    }

    [Fact]
    public async Task InvalidOptions_StopTheHostOnStart_NamingTheSetting()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["UsbGadget:VendorId"] = "acme" });
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());
        using IHost host = builder.Build();

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("UsbGadget:VendorId = 'acme' is not a 16-bit number", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunGadgetAsync_WithInvalidOptions_ReturnsExitCode2_PrintsTheSetting_AndLogsNoStackTrace()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["UsbGadget:VendorId"] = "acme" });
        var logs = new CapturingLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());
        (int exitCode, string stderr) = await RunGadgetCapturingStandardErrorAsync(builder.Build());

        Assert.Equal(2, exitCode);
        Assert.Contains("UsbGadget:VendorId = 'acme' is not a 16-bit number", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task RunGadgetAsync_WithUnreadableNumbersSwitchesAndDurations_ReturnsExitCode2_ListingEveryWrongSetting()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsbGadget:OutQueueDepth"] = "lots",
            ["UsbGadget:BindUdc"] = "maybe",
            ["UsbGadget:StopTimeout"] = "soon",
            ["UsbGadget:Mode"] = "Borrow",
            ["UsbGadget:VendorId"] = "acme",
        });
        var logs = new CapturingLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());
        (int exitCode, string stderr) = await RunGadgetCapturingStandardErrorAsync(builder.Build());

        Assert.Equal(2, exitCode);
        string[] lines = stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            [
                "  UsbGadget:Mode = 'Borrow' is not a mode: use Create or Attach.",
                "  UsbGadget:BindUdc = 'maybe' is not a switch: use true or false.",
                "  UsbGadget:OutQueueDepth = 'lots' is not a whole number: write it in decimal digits, such as 8.",
                "  UsbGadget:StopTimeout = 'soon' is not a duration: write it as hh:mm:ss, such as 00:00:05.",
                "  UsbGadget:VendorId = 'acme' is not a 16-bit number: write it in hex, such as 0x1d6b.",
            ],
            lines[1..]);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public void Binding_LeavesAnUnreadableSettingAtItsDefault_AndStillBindsTheOthers()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsbGadget:InQueueDepth"] = "4k",
            ["UsbGadget:OutQueueDepth"] = "",
            ["UsbGadget:InTransferSize"] = "4096",
            ["UsbGadget:ProductId"] = "0x0106",
            ["UsbGadget:Languages:0x0407:Product"] = "Schleife",
        }).Build();
        var options = new UsbGadgetOptions { InQueueDepth = 3 };

        new UsbGadgetOptionsBinder(configuration).Configure(options);

        Assert.Equal(3, options.InQueueDepth);
        Assert.Equal(8, options.OutQueueDepth); // empty means not set
        Assert.Equal(4096, options.InTransferSize);
        Assert.Equal("0x0106", options.ProductId);
        Assert.Equal("Schleife", options.Languages["0x0407"].Product);
        Assert.Equal(["UsbGadget:InQueueDepth = '4k' is not a whole number: write it in decimal digits, such as 3."], options.UnreadableSettings);
    }

    [Fact]
    public void AddFunction_RegistersSeveralFunctions_ForACompositeDevice()
    {
        var services = new ServiceCollection();
        services.AddUsbGadget().AddFunction(new RecordingFunction("a")).AddFunction<SecondFunction>();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal(["a", "second"], provider.GetServices<IGadgetFunction>().Select(f => f.Name));
    }

    private static async Task<(int ExitCode, string StandardError)> RunGadgetCapturingStandardErrorAsync(IHost host)
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

    private sealed class SecondFunction() : RecordingFunction("second");
}
