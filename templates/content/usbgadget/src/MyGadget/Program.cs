using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MyGadget;
using UsbGadget.Hosting;

// A USB device with one vendor-specific interface: whatever the host computer writes to bulk OUT comes back on bulk IN.
//   on a board with a device port (as root):  sudo dotnet run
//   with no board, in the bundled VM:          dotnet test   (from the solution's directory)
// Settings: appsettings.json, UsbGadget__* environment variables, or --UsbGadget:ProductId=0x0002 style arguments.
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget().AddFunction<EchoFunction>();
return await builder.Build().RunGadgetAsync();
