using System.Text;
using Microsoft.Extensions.Hosting;
using UsbGadget.Hosting;

namespace HidKeyboard;

/// <summary>Reads standard input line by line and hands each line (with its Enter) to the keyboard to type.</summary>
/// <remarks>
/// A read of standard input cannot be cancelled: on a terminal or a pipe whose writer stays open it blocks in read(2)
/// until a line comes, and Console.In's ReadLineAsync only runs that read synchronously. Awaited here, it held the host
/// for its whole 30 s shutdown timeout. So the lines are read on a background thread of their own, and stopping stops
/// only the wait for it: the app exits within StopTimeout, and the thread, still blocked, ends with the process.
/// </remarks>
internal sealed class StandardInputTypist(KeyboardFunction keyboard, UsbGadgetStatus status) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Typing before the host has configured the keyboard would only fill the queue; wait so the first line lands.
        await status.WhenEnumeratedAsync(stoppingToken).ConfigureAwait(false);
        var endOfInput = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = new Thread(() => ReadLines(endOfInput)) { IsBackground = true, Name = "Standard input" };
        reader.Start();
        await endOfInput.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
        // End of input: stay attached (the host keeps its keyboard) until stopped.
    }

    private void ReadLines(TaskCompletionSource endOfInput)
    {
        try
        {
            // The raw stream, not Console.In: nothing here takes Console's locks or touches the terminal's settings.
            using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
            while (input.ReadLine() is { } line)
            {
                keyboard.Type(line + "\n");
            }
            endOfInput.TrySetResult();
        }
        catch (Exception e)
        {
            endOfInput.TrySetException(e);
        }
    }
}
