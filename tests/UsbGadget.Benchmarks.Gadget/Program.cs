using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UsbGadget.Benchmarks.Gadget;

// The framework's side of the USB benchmarks (dotnet run --project tests/UsbGadget.Benchmarks -- usb): a vendor interface
// with bulk OUT ep1 and bulk IN ep2: the C reference's shape on the framework's internals, or the public copying API.
//   Benchmark:Mode       source-sink (IN writes zeros endlessly, OUT reads and drops) or loopback (OUT comes back on IN)
//   Benchmark:WriteSize  bytes per IN write in source-sink mode (default UsbGadget:Endpoints:InTransferSize)
//   Benchmark:Api        tuned (callbacks and buffer hand-over, internal) or primary (ReadAsync(Memory)/WriteAsync)
//   Benchmark:TransfersPerCall  transfers moved by each copying ReadAsync(Memory)/WriteAsync in source-sink mode (default 1)
//   Benchmark:StatsFile  once a second, append "allocated_bytes=N transfers=N" (GC.GetTotalAllocatedBytes(true))
// Queue depths and sizes are the framework's own settings: UsbGadget__Endpoints__OutQueueDepth, UsbGadget__Endpoints__InTransferSize, ...
HostApplicationBuilder builder = UsbGadgetHost.CreateApplicationBuilder(args);
builder.Services.AddOptions<BenchmarkSettings>().BindConfiguration(BenchmarkSettings.SectionName);
builder.Services.AddUsbGadget().AddFunction<BenchmarkFunction>();
builder.Services.AddHostedService<StatsWriter>();
return await builder.Build().RunGadgetAsync();
