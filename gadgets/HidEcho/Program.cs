using HidEcho;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// A vendor-defined HID device that sends back every output report the host writes, and counts them in a feature report.
// Any OS talks to it with its built-in HID driver (hidraw on Linux, hidapi everywhere); no driver to install.
//   sudo ./HidEcho
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget().AddFunction<EchoFunction>();
return await builder.Build().RunGadgetAsync();
