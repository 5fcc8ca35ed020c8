using Microsoft.Extensions.Hosting;
using UsbGadget.Hosting;

namespace HidKeyboard;

/// <summary>Reads standard input line by line and hands each line (with its Enter) to the keyboard to type.</summary>
internal sealed class StandardInputTypist(KeyboardFunction keyboard, UsbGadgetStatus status) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Typing before the host has configured the keyboard would only fill the queue; wait so the first line lands.
        await status.WhenEnumeratedAsync(stoppingToken).ConfigureAwait(false);
        using TextReader input = Console.In;
        while (await input.ReadLineAsync(stoppingToken).ConfigureAwait(false) is { } line)
        {
            await keyboard.TypeAsync(line + "\n", stoppingToken).ConfigureAwait(false);
        }
        // End of input: stay attached (the host keeps its keyboard) until stopped.
    }
}
