using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SerialCommand;

// A vendor device that answers text commands: the host writes a line to bulk OUT, the device answers a line on bulk IN.
//   sudo ./SerialCommand            then, on the host PC:   python3 host/command.py PING "ECHO hello" TIME
// Settings: appsettings.json, UsbGadget__* environment variables, or --UsbGadget:ProductId=0x0108 style arguments.
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget().AddFunction<CommandFunction>();
return await builder.Build().RunGadgetAsync();
