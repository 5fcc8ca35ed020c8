using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget(o => o.Product = "Echo").AddFunction<Echo>();
return await builder.Build().RunGadgetAsync();

sealed class Echo : IGadgetFunction
{
    public string Name => "echo";

    public FunctionDescription Describe() => new()
    {
        Interfaces = [new InterfaceDescription { Number = 0, Endpoints =
            [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 2)] }],
    };

    public async Task RunAsync(GadgetFunctionContext context, CancellationToken ct)
    {
        OutEndpoint fromHost = context.GetOutEndpoint(1);
        InEndpoint toHost = context.GetInEndpoint(2);
        byte[] buffer = new byte[16 * 1024];
        int length;
        while ((length = await fromHost.ReadAsync(buffer, ct)) > 0)   // one host transfer; 0 when the host leaves
        {
            await toHost.WriteAsync(buffer.AsMemory(0, length), ct);   // one transfer back
        }
    }
}
