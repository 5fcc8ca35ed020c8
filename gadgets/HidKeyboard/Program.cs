using HidKeyboard;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// A boot-protocol USB keyboard that types each line of standard input on the host. Runs as root on a machine with one UDC:
//   echo "hello" | sudo ./HidKeyboard
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddUsbGadget().AddFunction<KeyboardFunction>();
builder.Services.AddHostedService<StandardInputTypist>();
return await builder.Build().RunGadgetAsync();
