using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

// Environment.ExitCode is process-wide: classes that set and restore it must not run in parallel.
[Collection(nameof(Environment.ExitCode))]
public sealed class GadgetHostedServiceTests : IDisposable
{
    private readonly FakeBackend _backend = new();
    private readonly Mock<IHostApplicationLifetime> _lifetime = new();
    private readonly UsbGadgetStatus _status = new();
    private readonly GadgetMetrics _metrics = new(null);
    private readonly int _exitCode = Environment.ExitCode;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;

    public GadgetHostedServiceTests() => _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));

    private string StartFailureMessage => Assert.Single(_logs.Entries, e => e.Id.Id == 4010).Message;

    public void Dispose()
    {
        _metrics.Dispose();
        _loggerFactory.Dispose();
        Environment.ExitCode = _exitCode;
    }

    private GadgetHostedService CreateService(UsbGadgetOptions options, params IGadgetFunction[] functions) =>
        new(Options.Create(options), functions, _backend, _loggerFactory, _metrics,
            new SystemdNotifier(NullLogger<SystemdNotifier>.Instance), _status, _lifetime.Object);

    [Fact]
    public async Task Start_WritesEveryFunctionsDescriptorsBeforeBindingTheUdc()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g" }, new RecordingFunction("a"), new RecordingFunction("b"));

        await service.StartAsync(CancellationToken.None);

        Assert.Equal(
            ["prepare g [a,b]", "start a at /run/usbgadget/ffs/a", "start b at /run/usbgadget/ffs/b", "bind"],
            _backend.Steps);
    }

    [Fact]
    public async Task Stop_UnbindsThenClosesFunctionsInReverseThenRemovesTheGadget()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g" }, new RecordingFunction("a"), new RecordingFunction("b"));
        await service.StartAsync(CancellationToken.None);

        await service.StopAsync(CancellationToken.None);

        Assert.Equal(["unbind", "close b", "close a", "remove"], _backend.Steps.Skip(4));
    }

    [Fact]
    public async Task AttachMode_WithoutBindUdc_LeavesBindingToTheScript()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Attach, BindUdc = false }, new RecordingFunction("a"));

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        Assert.DoesNotContain("bind", _backend.Steps);
        Assert.DoesNotContain("unbind", _backend.Steps);
    }

    [Fact]
    public async Task Enable_RunsTheFunction_AndDisable_CancelsIt()
    {
        var function = new RecordingFunction("a");
        var service = CreateService(new UsbGadgetOptions(), function);
        await service.StartAsync(CancellationToken.None);
        FakeBackend.FakeFunction running = _backend.Functions["a"];

        Task started = function.Started.Task;
        running.MoveTo(FunctionFsState.Bound);
        running.MoveTo(FunctionFsState.Enabled);
        await started.WaitAsync(TimeSpan.FromSeconds(5));
        running.MoveTo(FunctionFsState.Disabled);
        await WaitUntil(() => function.CancelledRuns == 1);

        Assert.Equal(1, function.Runs);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task ReEnumeration_AfterUnplug_RunsTheFunctionAgainWithoutARestart()
    {
        var function = new RecordingFunction("a");
        var service = CreateService(new UsbGadgetOptions(), function);
        await service.StartAsync(CancellationToken.None);
        FakeBackend.FakeFunction running = _backend.Functions["a"];

        running.MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => function.Runs == 1);
        running.MoveTo(FunctionFsState.Disabled);
        running.MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => function.Runs == 2);

        Assert.Equal(1, function.CancelledRuns);
        await service.StopAsync(CancellationToken.None);
        Assert.Equal(2, function.CancelledRuns);
    }

    [Fact]
    public async Task Status_ReportsEnumerated_OnlyOnceEveryFunctionIsEnabled()
    {
        var service = CreateService(new UsbGadgetOptions(), new RecordingFunction("a"), new RecordingFunction("b"));
        await service.StartAsync(CancellationToken.None);

        _backend.Functions["a"].MoveTo(FunctionFsState.Enabled);
        await Task.Delay(100);
        Assert.False(_status.IsEnumerated);

        _backend.Functions["b"].MoveTo(FunctionFsState.Enabled);
        await _status.WhenEnumeratedAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(_status.IsEnumerated);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stop_WithAFunctionThatIgnoresCancellation_GivesUpAfterStopTimeout_AndStillTearsDown()
    {
        var function = new StubbornFunction();
        var service = CreateService(new UsbGadgetOptions { StopTimeout = TimeSpan.FromMilliseconds(200) }, function);
        await service.StartAsync(CancellationToken.None);
        _backend.Functions["fn"].MoveTo(FunctionFsState.Enabled);
        await Task.Delay(100);

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await service.StopAsync(CancellationToken.None);

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(["unbind", "close fn", "remove"], _backend.Steps.Skip(3));
    }

    [Fact]
    public async Task MisdescribedFunction_FailsBeforeConfigfsIsTouched_WithTheFieldNamed()
    {
        var service = CreateService(new UsbGadgetOptions(), new MisdescribedFunction());

        await service.StartAsync(CancellationToken.None);

        Assert.Empty(_backend.Steps);
        Assert.Equal(1, Environment.ExitCode);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Contains("Function 'fn' (MisdescribedFunction) is described wrongly", StartFailureMessage, StringComparison.Ordinal);
        Assert.Contains("Endpoints[1]", StartFailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindFailure_TearsDownWhatWasCreated_AndStopsTheApp()
    {
        _backend.BindFailure = new UsbGadget.ConfigFs.ConfigFsException(
            UsbGadget.ConfigFs.ConfigFsError.UdcBusy, "UDC dummy_udc.0 is busy", UsbGadget.Aio.Errno.EBUSY, "/sys/kernel/config/usb_gadget/g/UDC");
        var service = CreateService(new UsbGadgetOptions { Name = "g" }, new RecordingFunction("a"));

        await service.StartAsync(CancellationToken.None);

        Assert.Equal(["prepare g [a]", "start a at /run/usbgadget/ffs/a", "bind", "close a", "remove"], _backend.Steps);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Equal(1, Environment.ExitCode);
        Assert.Contains("UDC dummy_udc.0 is busy", StartFailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a", "a", "Two functions are named 'a'")]
    [InlineData("a.b", "c", "cannot name a FunctionFS instance")]
    public async Task FunctionNames_MustBeUniqueAndUsableAsInstanceNames(string first, string second, string expected)
    {
        var service = CreateService(new UsbGadgetOptions(), new RecordingFunction(first), new RecordingFunction(second));

        await service.StartAsync(CancellationToken.None);

        Assert.Empty(_backend.Steps);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Contains(expected, StartFailureMessage, StringComparison.Ordinal);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached within 5 s");
            await Task.Delay(10);
        }
    }
}
