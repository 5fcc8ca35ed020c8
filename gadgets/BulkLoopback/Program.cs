using BulkLoopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Everything the host writes to bulk OUT comes back on bulk IN. Runs as root on a machine with one UDC:
//   sudo ./BulkLoopback
// Settings: appsettings.json, UsbGadget__* environment variables, or --UsbGadget:ProductId=0x0106 style arguments.
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget().AddFunction<LoopbackFunction>();
return await builder.Build().RunGadgetAsync();
