Console.Error.WriteLine("usage: UsbGadget.Benchmarks aio-read --file PATH [--block-size N] [--queue-depth N] [--seconds N]");
return 2;
