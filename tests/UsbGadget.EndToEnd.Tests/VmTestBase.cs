using UsbGadget.Testing;

namespace UsbGadget.EndToEnd.Tests;

/// <summary>Base for tests in the shared VM: every test starts with no gadget and no leftover process.</summary>
[Collection(GadgetVmCollection.Name)]
[Trait("Category", "EndToEnd")]
public abstract class VmTestBase : IAsyncLifetime
{
    protected VmTestBase(GadgetVmFixture fixture) => Fixture = fixture;

    protected GadgetVmFixture Fixture { get; }

    protected GadgetVm Vm => Fixture.Vm;

    /// <summary>Guest path of a script from tests/vm (copied to the build output, which the guest sees through the shared root).</summary>
    protected static string VmScript(string name) => Path.Combine(AppContext.BaseDirectory, "vm", name);

    public Task InitializeAsync() => Vm.CleanUpAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
