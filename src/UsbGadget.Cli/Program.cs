using System.Reflection;

namespace UsbGadget.Cli;

/// <summary>Entry point: a small hand parser (a few commands and flags), which keeps the tool NativeAOT-clean and fast to start.</summary>
internal static class Program
{
    private const string Help = """
        usbgadget: checks and tidies Linux USB gadgets (configfs, FunctionFS, UDCs).

        usage: usbgadget <command> [options]

        commands:
          doctor             check board, device tree, kernel, modules, configfs and UDCs; each problem with its fix.
                             exit 0: ready; exit 1: something to fix.
          list               gadgets, their functions, bound UDC, state and owner.
          cleanup [--dry-run]
                             remove gadgets and FunctionFS mounts left by UsbGadget processes that are gone;
                             never one a running process serves, never one UsbGadget did not make.
          describe APP [ARGS...]
                             the descriptors APP's gadget will show the host, as lsusb -v prints them; APP is a
                             project directory or .csproj (dotnet run), a .dll or an executable. No root, no UDC.

        options:
          -h, --help         this text
          --version          the tool's version
        """;

    /// <summary>A bug in the tool (sysexits' EX_SOFTWARE).</summary>
    private const int InternalError = 70;

    public static int Main(string[] args) => Run(args, HostSystem.Real(), Console.Out, Console.Error);

    internal static int Run(string[] args, HostSystem system, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            output.WriteLine(Help);
            return args.Length == 0 ? Commands.Usage : Commands.Success;
        }
        if (args[0] == "--version")
        {
            output.WriteLine(typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
            return Commands.Success;
        }

        var commands = new Commands(system, output, error);
        string command = args[0];
        string[] rest = args[1..];
        try
        {
            return command switch
            {
                "doctor" => NoArguments(command, rest, error) ?? commands.Doctor(),
                "list" => NoArguments(command, rest, error) ?? commands.List(),
                "cleanup" => rest switch
                {
                    [] => commands.Cleanup(dryRun: false),
                    ["--dry-run"] => commands.Cleanup(dryRun: true),
                    _ => UsageError(error, $"usbgadget cleanup: unexpected '{string.Join(' ', rest)}'; the only option is --dry-run"),
                },
                "describe" => DescribeCommand.Run(rest, output, error),
                _ => UsageError(error, $"usbgadget: unknown command '{command}'; commands: doctor, list, cleanup, describe (usbgadget --help)"),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigFs.ConfigFsException)
        {
            // Whatever the checks did not foresee still ends in one line, never a stack trace.
            error.WriteLine($"usbgadget {command}: {e.Message}");
            return Commands.Problem;
        }
#pragma warning disable CA1031 // The last line of defence of a command-line tool: one line, not a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"usbgadget {command}: internal error ({e.GetType().Name}): {e.Message}; please report it with the output of 'usbgadget doctor'");
            return InternalError;
        }
    }

    private static int? NoArguments(string command, string[] rest, TextWriter error) =>
        rest.Length == 0 ? null : UsageError(error, $"usbgadget {command}: takes no arguments, got '{string.Join(' ', rest)}'");

    private static int UsageError(TextWriter error, string message)
    {
        error.WriteLine(message);
        return Commands.Usage;
    }
}
