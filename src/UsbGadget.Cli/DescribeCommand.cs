using System.Diagnostics;

namespace UsbGadget.Cli;

/// <summary>
/// <c>usbgadget describe APP [ARGS…]</c>: runs the app with <c>UsbGadget:DescribeTo</c> set, so its hosting writes the
/// descriptors the gadget would show (lsusb -v layout) to a file and stops without touching configfs; then prints them.
/// Only the app knows its functions, so it is the app that describes them; no root and no UDC needed.
/// </summary>
internal static class DescribeCommand
{
    /// <summary>How long the app (and <c>dotnet run</c>'s build) may take.</summary>
    internal static TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0)
        {
            error.WriteLine("usbgadget describe: name the app: a project directory or .csproj (run with dotnet run), a .dll, or an executable, then its arguments");
            return Commands.Usage;
        }
        (string fileName, List<string> arguments) = CommandFor(args[0]);
        arguments.AddRange(args[1..]);
        string target = Path.Combine(Path.GetTempPath(), $"usbgadget-describe-{Environment.ProcessId}-{Guid.NewGuid():N}.txt");
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["UsbGadget__DescribeTo"] = target;
        try
        {
            using Process process = Process.Start(start)!;
            process.StandardInput.Close();
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                error.WriteLine($"usbgadget describe: '{args[0]}' did not describe its gadget within {Timeout.TotalSeconds:0} s; is it a UsbGadget app (UsbGadgetHost / AddUsbGadget)?");
                return Commands.Problem;
            }
            string log = stdout.Result + stderr.Result;
            if (process.ExitCode != 0 || !File.Exists(target))
            {
                string last = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
                error.WriteLine(process.ExitCode != 0
                    ? $"usbgadget describe: '{args[0]}' exited with {process.ExitCode} without describing its gadget; its last line: {last}"
                    : $"usbgadget describe: '{args[0]}' exited without describing a gadget: it does not run UsbGadget hosting, or a version without UsbGadget:DescribeTo; its last line: {last}");
                return Commands.Problem;
            }
            output.Write(File.ReadAllText(target));
            return Commands.Success;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            error.WriteLine($"usbgadget describe: cannot start '{fileName}': {e.Message}; give a project directory, a .csproj, a .dll or an executable");
            return Commands.Problem;
        }
        finally
        {
            File.Delete(target);
        }
    }

    private static (string FileName, List<string> Arguments) CommandFor(string app)
    {
        if (Directory.Exists(app) || app.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase))
        {
            // The app's settings (appsettings.json) are found from its content root, which dotnet run sets to the project.
            return ("dotnet", ["run", "--project", app, "--"]);
        }
        if (app.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return ("dotnet", [app]);
        }
        return (app, []);
    }
}
