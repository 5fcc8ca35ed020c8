using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;
using UsbGadget.Linux;

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
            ["prepare g [g-a,g-b]", "start g-a at /run/usbgadget/ffs/g-a", "start g-b at /run/usbgadget/ffs/g-b", "bind"],
            _backend.Steps);
    }

    [Fact]
    public async Task Stop_UnbindsThenClosesFunctionsInReverseThenRemovesTheGadget()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g" }, new RecordingFunction("a"), new RecordingFunction("b"));
        await service.StartAsync(CancellationToken.None);

        await service.StopAsync(CancellationToken.None);

        Assert.Equal(["unbind", "close g-b", "close g-a", "remove"], _backend.Steps.Skip(4));
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
        FakeBackend.FakeFunction running = _backend.Functions["usbgadget-a"];

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
        FakeBackend.FakeFunction running = _backend.Functions["usbgadget-a"];

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

        _backend.Functions["usbgadget-a"].MoveTo(FunctionFsState.Enabled);
        await Task.Delay(100);
        Assert.False(_status.IsEnumerated);

        _backend.Functions["usbgadget-b"].MoveTo(FunctionFsState.Enabled);
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
        _backend.Functions["usbgadget-fn"].MoveTo(FunctionFsState.Enabled);
        await Task.Delay(100);

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await service.StopAsync(CancellationToken.None);

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal(["unbind", "close usbgadget-fn", "remove"], _backend.Steps.Skip(3));
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
            UsbGadget.ConfigFs.ConfigFsError.UdcBusy, "UDC dummy_udc.0 is busy", UsbGadget.Linux.Errno.EBUSY, "/sys/kernel/config/usb_gadget/g/UDC");
        var service = CreateService(new UsbGadgetOptions { Name = "g" }, new RecordingFunction("a"));

        await service.StartAsync(CancellationToken.None);

        Assert.Equal(["prepare g [g-a]", "start g-a at /run/usbgadget/ffs/g-a", "bind", "close g-a", "remove"], _backend.Steps);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Equal(1, Environment.ExitCode);
        Assert.Contains("UDC dummy_udc.0 is busy", StartFailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a", "a", "", "Two functions are named 'a'")]
    [InlineData("a", "b", "a.b", "Function 'a': its FunctionFS instance name 'a.b' is not a usable FunctionFS instance name")]
    [InlineData("a", "b", "usbgadget-b", "Two functions would be FunctionFS instance 'usbgadget-b'")]
    public async Task FunctionNames_MustBeUnique_AndTheirInstanceNamesUsableAndUnique(string first, string second, string firstInstance, string expected)
    {
        var options = new UsbGadgetOptions();
        if (firstInstance.Length > 0)
        {
            options.FunctionInstances[first] = firstInstance;
        }
        var service = CreateService(options, new RecordingFunction(first), new RecordingFunction(second));

        await service.StartAsync(CancellationToken.None);

        Assert.Empty(_backend.Steps);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Contains(expected, StartFailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFunctionThatThrows_IsRunAgainAfterABackOff_WhileTheHostKeepsItEnabled()
    {
        var function = new FailingFunction(failures: 2);
        var service = CreateService(new UsbGadgetOptions { FunctionRestartDelay = TimeSpan.FromMilliseconds(50) }, function);
        await service.StartAsync(CancellationToken.None);

        _backend.Functions["usbgadget-fn"].MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => function.Runs == 1);

        Assert.Equal(3, function.Calls);
        LogEntry[] restarts = [.. _logs.Entries.Where(e => e.Id.Id == 4100)];
        Assert.Equal(2, restarts.Length);
        Assert.Equal("Function 'fn' failed: InvalidOperationException: broken run 1. Failure 1 in a row (limit 5); running it again in 00:00:00.0500000", restarts[0].Message);
        Assert.Contains("Failure 2 in a row (limit 5); running it again in 00:00:00.1000000", restarts[1].Message, StringComparison.Ordinal);
        _lifetime.Verify(l => l.StopApplication(), Times.Never);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFunctionThatThrows_WithStopApplication_StopsTheAppWithExitCode3_InOneLine()
    {
        var function = new FailingFunction(failures: 1);
        var service = CreateService(new UsbGadgetOptions { OnFunctionFailure = FunctionFailurePolicy.StopApplication }, function);
        await service.StartAsync(CancellationToken.None);

        _backend.Functions["usbgadget-fn"].MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => _logs.Entries.Any(e => e.Id.Id == 4101));

        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Equal(GadgetExitCodes.FunctionFailed, Environment.ExitCode);
        LogEntry stopping = Assert.Single(_logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Equal(
            "Function 'fn' failed: InvalidOperationException: broken run 1. Stopping the app with exit code 3 (UsbGadget:OnFunctionFailure is StopApplication)",
            stopping.Message);
        Assert.Null(stopping.Exception); // the stack trace is at Debug level (4102), not in the line an operator reads
        Assert.NotNull(Assert.Single(_logs.Entries, e => e.Id.Id == 4102).Exception);
        Assert.Equal(1, function.Calls);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFunctionThatKeepsThrowing_StopsTheApp_OnceItExceedsTheRestartLimit()
    {
        var function = new FailingFunction(failures: int.MaxValue);
        var options = new UsbGadgetOptions { FunctionRestartDelay = TimeSpan.Zero, FunctionRestartLimit = 2 };
        var service = CreateService(options, function);
        await service.StartAsync(CancellationToken.None);

        _backend.Functions["usbgadget-fn"].MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => _logs.Entries.Any(e => e.Id.Id == 4101));

        Assert.Equal(3, function.Calls);
        Assert.Equal(GadgetExitCodes.FunctionFailed, Environment.ExitCode);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Contains("(3 failures in a row, more than UsbGadget:FunctionRestartLimit)", Assert.Single(_logs.Entries, e => e.Id.Id == 4101).Message, StringComparison.Ordinal);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AFunctionThatThrows_AndIsThenDisabled_WaitsForTheNextEnable_InsteadOfRestarting()
    {
        var function = new FailingFunction(failures: 1);
        var service = CreateService(new UsbGadgetOptions { FunctionRestartDelay = TimeSpan.FromSeconds(30) }, function);
        await service.StartAsync(CancellationToken.None);
        FakeBackend.FakeFunction running = _backend.Functions["usbgadget-fn"];

        running.MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => _logs.Entries.Any(e => e.Id.Id == 4100));
        running.MoveTo(FunctionFsState.Disabled);
        running.MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => function.Runs == 1);

        Assert.Equal(2, function.Calls);
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SuspendAndResume_ReachTheRunningFunctionsContext()
    {
        var function = new SuspendWatchingFunction();
        var service = CreateService(new UsbGadgetOptions(), function);
        await service.StartAsync(CancellationToken.None);
        FakeBackend.FakeFunction running = _backend.Functions["usbgadget-fn"];
        running.MoveTo(FunctionFsState.Enabled);
        await WaitUntil(() => function.Runs == 1);

        running.Suspend();
        Assert.True(function.Context!.IsSuspended);
        running.Resume();

        Assert.Equal(["suspended True", "resumed False"], function.Events);
        Assert.Equal(["Function 'fn': bus suspended", "Function 'fn': bus resumed"], _logs.Entries.Where(e => e.Id.Id == 4013).Select(e => e.Message));
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task InstanceNames_DeriveFromGadgetAndFunction_SoTwoGadgetsCanCarryTheSameFunction()
    {
        await CreateService(new UsbGadgetOptions { Name = "left" }, new RecordingFunction("serial")).StartAsync(CancellationToken.None);
        await CreateService(new UsbGadgetOptions { Name = "right" }, new RecordingFunction("serial")).StartAsync(CancellationToken.None);

        Assert.Equal(["left-serial", "right-serial"], _backend.Functions.Keys.Order());
        Assert.Contains("Function 'serial' is FunctionFS instance 'left-serial'", _logs.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task InstanceNames_AreSetInConfiguration_OrTakenFromTheFunctionInAttachMode()
    {
        var options = new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Attach, FunctionInstances = { ["b"] = "custom" } };

        await CreateService(options, new RecordingFunction("a"), new RecordingFunction("b")).StartAsync(CancellationToken.None);

        Assert.Equal("prepare g [a,custom]", _backend.Steps[0]);
    }

    [Theory]
    [InlineData("g", "fn", "g-fn")]
    [InlineData("my.gadget", "hid kbd", "my_gadget-hid_kbd")]
    [InlineData("a-gadget-with-a-rather-long-name", "function", "a-gadget-with-a-rather-lon-")]
    public void DerivedInstanceNames_FitTheKernelsLimit_AndOnlyUseSafeCharacters(string gadget, string function, string expectedStart)
    {
        string name = FunctionInstanceNames.Derive(gadget, function);

        Assert.StartsWith(expectedStart, name, StringComparison.Ordinal);
        Assert.InRange(name.Length, 1, 35);
        Assert.Null(FunctionInstanceNames.Problem(name));
        Assert.Equal(name, FunctionInstanceNames.Derive(gadget, function));
        Assert.NotEqual(name, FunctionInstanceNames.Derive(gadget, function + "2"));
    }

    [Fact]
    public async Task Start_LogsTheIdsAndWhereTheSettingsCameFrom()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g", ProductId = 0x0105, Product = "Loop" }, new RecordingFunction("a"));

        await service.StartAsync(CancellationToken.None);

        Assert.Equal("Gadget 'g' is 1d6b:0105 'UsbGadget' 'Loop'; settings read from code only (no content root)", Assert.Single(_logs.Entries, e => e.Id.Id == 4103).Message);
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
