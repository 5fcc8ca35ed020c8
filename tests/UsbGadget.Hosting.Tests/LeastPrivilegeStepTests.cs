using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using UsbGadget.Hosting;

namespace UsbGadget.Hosting.Tests;

/// <summary>
/// The three runs of a least-privilege service: Setup (root) creates the gadget for the service user and exits, Attach
/// (the user) serves it, Teardown (root) removes it and exits. The kernel side is proven in the VM (LeastPrivilegeTests).
/// </summary>
[Collection(nameof(Environment.ExitCode))]
public sealed class LeastPrivilegeStepTests : IDisposable
{
    private readonly FakeBackend _backend = new();
    private readonly Mock<IHostApplicationLifetime> _lifetime = new();
    private readonly GadgetMetrics _metrics = new(null);
    private readonly int _exitCode = Environment.ExitCode;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _directory = Directory.CreateTempSubdirectory("usbgadget-accounts-").FullName;
    private readonly ServiceAccounts _accounts;

    public LeastPrivilegeStepTests()
    {
        _loggerFactory = LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        File.WriteAllText(Path.Combine(_directory, "passwd"), "root:x:0:0:root:/root:/bin/bash\nusbgadget:x:990:985::/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(_directory, "group"), "root:x:0:\nusbgadget:x:985:\nplugdev:x:46:pi\n");
        _accounts = new ServiceAccounts(Path.Combine(_directory, "passwd"), Path.Combine(_directory, "group"));
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _loggerFactory.Dispose();
        Environment.ExitCode = _exitCode;
        Directory.Delete(_directory, recursive: true);
    }

    private GadgetHostedService CreateService(UsbGadgetOptions options, params IGadgetFunction[] functions) =>
        new(Options.Create(options), functions, _backend, _loggerFactory, _metrics,
            new SystemdNotifier(NullLogger<SystemdNotifier>.Instance), new UsbGadgetStatus(), _lifetime.Object, accounts: _accounts);

    private ValidateOptionsResult Validate(UsbGadgetOptions options) => new UsbGadgetOptionsValidator(_accounts).Validate(null, options);

    [Fact]
    public async Task Setup_CreatesTheGadgetForTheServiceUsersIds_StartsNoFunction_AndEndsTheApp()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Setup, ServiceUser = "usbgadget" }, new RecordingFunction("a"));

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(["set up g for 990:985 [g-a]"], _backend.Steps);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Equal(_exitCode, Environment.ExitCode);
        Assert.Contains(_logs.Entries, e => e.Id.Id == 5210 && e.Message.Contains("service user 'usbgadget' (uid 990, gid 985)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Setup_WithAServiceGroup_MountsForThatGroup()
    {
        var service = CreateService(new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Setup, ServiceUser = "usbgadget", ServiceGroup = "plugdev" }, new RecordingFunction("a"));

        await service.StartAsync(CancellationToken.None);

        Assert.Equal(["set up g for 990:46 [g-a]"], _backend.Steps);
    }

    [Fact]
    public async Task Attach_AfterSetup_FindsTheInstanceNamesTheSetupGave()
    {
        _backend.ExistingFunctions.Add("ffs.g-a");
        var service = CreateService(new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Attach }, new RecordingFunction("a"), new RecordingFunction("b"));

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        // 'a' was made by Setup (g-a); 'b' is not in the gadget under the derived name, so a script's name is assumed.
        Assert.Contains("start g-a at /run/usbgadget/ffs/g-a", _backend.Steps);
        Assert.Contains("start b at /run/usbgadget/ffs/b", _backend.Steps);
        Assert.Contains("bind", _backend.Steps);
    }

    [Theory]
    [InlineData(true, "removed")]
    [InlineData(false, "was not there")]
    public async Task Teardown_RemovesTheGadget_AndEndsTheAppWithSuccessEvenWhenNothingWasThere(bool present, string outcome)
    {
        _backend.GadgetPresent = present;
        // No function needed: the teardown removes what is on disk.
        var service = CreateService(new UsbGadgetOptions { Name = "g", Mode = GadgetMode.Teardown });

        await service.StartAsync(CancellationToken.None);
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(["tear down g"], _backend.Steps);
        _lifetime.Verify(l => l.StopApplication(), Times.Once);
        Assert.Equal(_exitCode, Environment.ExitCode);
        Assert.Contains(_logs.Entries, e => e.Id.Id == 5211 && e.Message.EndsWith(outcome, StringComparison.Ordinal));
    }

    [Fact]
    public void AServiceUserThatDoesNotExist_IsOneLineSayingHowToCreateIt()
    {
        ValidateOptionsResult result = Validate(new UsbGadgetOptions { Mode = GadgetMode.Setup, ServiceUser = "gadgetd" });

        Assert.Equal(
            "UsbGadget:ServiceUser = 'gadgetd' is not a user in /etc/passwd: create it ('useradd --system --no-create-home gadgetd') or name an existing one.",
            Assert.Single(result.Failures!));
    }

    [Fact]
    public void AServiceGroupThatDoesNotExist_IsOneLine()
    {
        ValidateOptionsResult result = Validate(new UsbGadgetOptions { Mode = GadgetMode.Setup, ServiceUser = "usbgadget", ServiceGroup = "gadgets" });

        Assert.StartsWith("UsbGadget:ServiceGroup = 'gadgets' is not a group in /etc/group", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void SetupWithoutAServiceUser_IsOneLine()
    {
        ValidateOptionsResult result = Validate(new UsbGadgetOptions { Mode = GadgetMode.Setup });

        Assert.StartsWith("UsbGadget:ServiceUser is empty, but Mode = Setup mounts FunctionFS for it", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void AServiceUserInCreateMode_IsOneLineNamingTheTwoModesToUse()
    {
        ValidateOptionsResult result = Validate(new UsbGadgetOptions { Mode = GadgetMode.Create, ServiceUser = "usbgadget" });

        string failure = Assert.Single(result.Failures!);
        Assert.Contains("Mode = Setup for the root step and Mode = Attach", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GadgetMode.Attach)]
    [InlineData(GadgetMode.Teardown)]
    public void TheServiceUser_IsOptionalOutsideSetup(GadgetMode mode)
    {
        Assert.True(Validate(new UsbGadgetOptions { Mode = mode }).Succeeded);
        Assert.True(Validate(new UsbGadgetOptions { Mode = mode, ServiceUser = "usbgadget" }).Succeeded);
    }
}
