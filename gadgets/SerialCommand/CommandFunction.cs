using System.Globalization;
using UsbGadget.Descriptors;
using UsbGadget.FunctionFs;
using UsbGadget.Hosting;

namespace SerialCommand;

/// <summary>
/// A vendor interface with bulk OUT 1 and bulk IN 2 that speaks lines of text: each command line the host writes is
/// answered with one line, through the endpoints' <see cref="Stream"/> adapters and the ordinary StreamReader/Writer.
/// </summary>
internal sealed class CommandFunction : IGadgetFunction
{
    private readonly long _started = Environment.TickCount64;
    private long _counter;

    public string Name => "command";

    public FunctionDescription Describe() => new()
    {
        Interfaces =
        [
            new InterfaceDescription
            {
                Number = 0, Class = UsbClass.VendorSpecific, NameIndex = 1,
                Endpoints = [EndpointDescription.Bulk(EndpointDirection.Out, 1), EndpointDescription.Bulk(EndpointDirection.In, 2)],
            },
        ],
        Strings = StringTable.Single(LanguageIds.EnglishUnitedStates, "Serial command"),
    };

    public async Task RunAsync(GadgetFunctionContext context, CancellationToken cancellationToken)
    {
        using var commands = new StreamReader(context.GetOutEndpoint(1).AsStream());
        using var answers = new StreamWriter(context.GetInEndpoint(2).AsStream()) { NewLine = "\n" };

        // ReadLineAsync returns null when the host deconfigures the device: this run is over, the next ENABLE starts another.
        while (await commands.ReadLineAsync(cancellationToken) is { } line)
        {
            // One answer line per command, flushed as one USB transfer: a host read of any size gets exactly that line.
            await answers.WriteLineAsync(Answer(line.Trim()).AsMemory(), cancellationToken);
            await answers.FlushAsync(cancellationToken);
        }
    }

    /// <summary>The answer to one command line: <c>OK ...</c> or <c>ERR ...</c>.</summary>
    public string Answer(string line)
    {
        string[] words = line.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string argument = words.Length > 1 ? words[1] : "";
        return words.Length == 0 ? "ERR empty line: try HELP" : words[0].ToUpperInvariant() switch
        {
            "HELP" => "OK commands: PING, ECHO <text>, ADD <a> <b>, COUNT, UPTIME, HELP",
            "PING" => "OK PONG",
            "ECHO" => $"OK {argument}",
            "ADD" => Add(argument),
            "COUNT" => $"OK {Interlocked.Increment(ref _counter)}",
            "UPTIME" => string.Create(CultureInfo.InvariantCulture, $"OK {(Environment.TickCount64 - _started) / 1000} s"),
            _ => $"ERR unknown command '{words[0]}': try HELP",
        };
    }

    private static string Add(string arguments)
    {
        string[] numbers = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return numbers.Length == 2
            && long.TryParse(numbers[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long a)
            && long.TryParse(numbers[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long b)
            ? string.Create(CultureInfo.InvariantCulture, $"OK {a + b}")
            : "ERR ADD takes two whole numbers, e.g. ADD 2 40";
    }
}
