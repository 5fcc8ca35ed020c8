using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
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
        OutEndpoint output = context.GetOutEndpoint(1);
        InEndpoint input = context.GetInEndpoint(2);
        while (true)
        {
            using OutTransfer transfer = await output.ReadAsync(ct);
            if (transfer.Status != EndpointStatus.Ok || await input.WriteAsync(transfer.Data, ct) != EndpointStatus.Ok)
            {
                return;   // the host went away: RunAsync is called again at the next enable
            }
        }
    }
}
