using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UsbGadget.Descriptors;
using UsbGadget.Hosting;

// A vendor-class gadget whose function throws each time the host enables it. Settings come from the test's environment
// (UsbGadget__OnFunctionFailure, UsbGadget__FunctionRestartLimit, ...).
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget(o =>
{
    o.Name = "failing";
    o.ProductId = 0x0107;
    o.Product = "UsbGadget failing function";
}).AddFunction(new ThrowingFunction());
return await builder.Build().RunGadgetAsync();

/// <summary>Describes one bulk pair and throws from <see cref="RunAsync"/>, as a function with a bug would.</summary>
internal sealed class ThrowingFunction : IGadgetFunction
{
    private int _runs;

    public string Name => "broken";

    public FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0,
                Class = UsbClass.VendorSpecific,
                Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 2)],
            },
        ],
    };

    public Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"run {Interlocked.Increment(ref _runs)} broke on purpose");
}
