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
        builder.Services.AddUsbGadget(o => { o.ProductId = 0x0105; o.DeviceVersion = 0x0200; o.Manufacturer = "Code"; }).AddFunction(new RecordingFunction());
        using IHost host = builder.Build();

        UsbGadgetOptions options = host.Services.GetRequiredService<IOptions<UsbGadgetOptions>>().Value;

        Assert.Equal(0x0106, options.ProductId);
        Assert.Equal(0x0200, options.DeviceVersion);
        Assert.Equal(0x1d6b, options.VendorId);
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
            ["UsbGadget:Endpoints:OutQueueDepth"] = "lots",
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
                "  UsbGadget:BindUdc = 'maybe' is not a switch: use true or false.",
                "  UsbGadget:Endpoints:OutQueueDepth = 'lots' is not a whole number: write it in decimal digits, such as 8.",
                "  UsbGadget:Mode = 'Borrow' is not one of: Create, Attach.",
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
            ["UsbGadget:Endpoints:InQueueDepth"] = "4k",
            ["UsbGadget:Endpoints:OutQueueDepth"] = "",
            ["UsbGadget:Endpoints:InTransferSize"] = "4096",
            ["UsbGadget:ProductId"] = "0x0106",
            ["UsbGadget:VendorId"] = "",
            ["UsbGadget:DeviceClass"] = "255",
            ["UsbGadget:FunctionInstances:loopback"] = "myloop",
            ["UsbGadget:Languages:0x0407:Product"] = "Schleife",
        }).Build();
        var options = new UsbGadgetOptions { Endpoints = { InQueueDepth = 3 } };

        new UsbGadgetOptionsBinder(configuration).Configure(options);

        Assert.Equal(3, options.Endpoints.InQueueDepth);
        Assert.Equal(8, options.Endpoints.OutQueueDepth); // empty means not set
        Assert.Equal(4096, options.Endpoints.InTransferSize);
        Assert.Equal(0x0106, options.ProductId);
        Assert.Equal(0x1d6b, options.VendorId); // empty means not set
        Assert.Equal(0xff, options.DeviceClass);
        Assert.Equal("myloop", options.FunctionInstances["loopback"]);
        Assert.Equal("Schleife", options.Languages["0x0407"].Product);
        Assert.Equal(["UsbGadget:Endpoints:InQueueDepth = '4k' is not a whole number: write it in decimal digits, such as 3."], options.UnreadableSettings);
    }

    [Fact]
    public async Task RunGadgetAsync_WithBadNewSettings_ListsEachWithWhatAValidOneLooksLike()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UsbGadget:OnFunctionFailure"] = "Ignore",
            ["UsbGadget:DeviceClass"] = "0x100",
            ["UsbGadget:WebUsbLandingPage"] = "not a url",
            ["UsbGadget:FunctionInstances:loopback"] = "a/b",
        });
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());
        (int exitCode, string stderr) = await RunGadgetCapturingStandardErrorAsync(builder.Build());

        Assert.Equal(GadgetExitCodes.InvalidConfiguration, exitCode);
        Assert.Equal(
            [
                "  UsbGadget:OnFunctionFailure = 'Ignore' is not one of: Restart, StopApplication.",
                "  UsbGadget:DeviceClass = 0x0100 does not fit a byte: use 0x00–0xff, such as 0xef.",
                "  UsbGadget:WebUsbLandingPage = 'not a url' is not a web address: use an https URL of at most 255 bytes, such as https://example.com/device.",
                "  UsbGadget:UsbVersion = 0x0200 is too old for WebUSB: set it to 0x0210 when WebUsbLandingPage is set.",
                "  UsbGadget:FunctionInstances:loopback = 'a/b' is not a usable FunctionFS instance name: use 1–35 letters, digits, '-' or '_'.",
            ],
            stderr.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries)[1..]);
    }

    [Fact]
    public void StopTimeout_IsAlsoTheHostsShutdownTimeout_SoCtrlCIsNotHeldFor30Seconds()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["UsbGadget:StopTimeout"] = "00:00:03" });
        builder.Services.AddUsbGadget().AddFunction(new RecordingFunction());
        using IHost host = builder.Build();

        Assert.Equal(TimeSpan.FromSeconds(3), host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task StoppingTheHost_WithAHostedServiceStuckInABlockingCall_EndsWithinStopTimeout()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<IGadgetBackend>(new FakeBackend());
        builder.Services.AddUsbGadget(o => o.StopTimeout = TimeSpan.FromMilliseconds(500)).AddFunction(new RecordingFunction());
        builder.Services.AddHostedService<BlockedService>();
        using IHost host = builder.Build();
        await host.StartAsync();

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await host.StopAsync();

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
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

    /// <summary>A service whose work blocks in a call no token can interrupt, as a console read does.</summary>
    private sealed class BlockedService : BackgroundService
    {
        private readonly ManualResetEventSlim _never = new();

        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() => _never.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);

        public override void Dispose()
        {
            _never.Set();
            _never.Dispose();
            base.Dispose();
        }
    }
}
