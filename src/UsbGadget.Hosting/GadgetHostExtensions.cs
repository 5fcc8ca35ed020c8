using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UsbGadget.Hosting;

#pragma warning disable IDE0130 // Beside IHost, as Microsoft.Extensions.Hosting's own extensions are.
namespace Microsoft.Extensions.Hosting;
#pragma warning restore IDE0130

/// <summary>Runs a gadget host the way a service should end: a message and an exit code, not a stack trace.</summary>
public static class GadgetHostExtensions
{
    /// <summary>
    /// Runs the host until it stops (SIGTERM, Ctrl+C) and returns one of <see cref="GadgetExitCodes"/>: a clean stop gives 0;
    /// a gadget that could not start has logged why and gives 1; invalid or unreadable configuration is printed as one line
    /// per problem and gives 2; a failed function that stops the app (<see cref="UsbGadgetOptions.OnFunctionFailure"/>)
    /// gives 3.
    /// </summary>
    /// <param name="host">The built host.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunGadgetAsync(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Services.GetService<StartupProblem>() is { } problem)
        {
            host.Dispose();
            await Console.Error.WriteLineAsync(problem.Message).ConfigureAwait(false);
            return GadgetExitCodes.InvalidConfiguration;
        }
        try
        {
            // Validate before starting: a host whose start fails logs the exception, stack trace and all, before
            // this method could turn it into the one-line-per-setting message below.
            _ = host.Services.GetService<IOptions<UsbGadgetOptions>>()?.Value;
            _ = host.Services.GetService<IOptions<KernelFunctionsOptions>>()?.Value;
            await host.RunAsync().ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            host.Dispose();
            await Console.Error.WriteLineAsync("Invalid configuration; fix these settings (appsettings.json, UsbGadget__* environment variables or --UsbGadget:* arguments):").ConfigureAwait(false);
            foreach (string failure in e.Failures)
            {
                await Console.Error.WriteLineAsync("  " + failure).ConfigureAwait(false);
            }
            return GadgetExitCodes.InvalidConfiguration;
        }
        return Environment.ExitCode;
    }
}
