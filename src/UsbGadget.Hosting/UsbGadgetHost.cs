using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UsbGadget.Hosting;

#pragma warning disable IDE0130 // Beside Host, whose CreateApplicationBuilder this one replaces for gadgets.
namespace Microsoft.Extensions.Hosting;
#pragma warning restore IDE0130

/// <summary>Creates the generic host builder for a gadget app, reading its settings wherever the app is started from.</summary>
public static class UsbGadgetHost
{
    private const string ContentRootKey = "contentRoot";

    /// <summary>
    /// Like <see cref="Host.CreateApplicationBuilder(string[])"/>, except that the content root (where
    /// <c>appsettings.json</c> is read from) is the app's own directory, <see cref="AppContext.BaseDirectory"/>, not the
    /// current directory: <c>sudo ./HidKeyboard/HidKeyboard</c> from a home directory and a systemd unit read the same
    /// settings. <c>--contentRoot=DIR</c> or <c>DOTNET_CONTENTROOT</c> still chooses another directory.
    /// </summary>
    /// <remarks>
    /// When the content root or a settings file cannot be read (a directory this user may not enter, broken JSON), the
    /// builder still works, and <see cref="GadgetHostExtensions.RunGadgetAsync"/> prints one line saying what cannot be
    /// read and how to fix it, and returns <see cref="GadgetExitCodes.InvalidConfiguration"/>, instead of the builder
    /// throwing out of <c>Main</c> with a stack trace.
    /// </remarks>
    /// <param name="args">The command line.</param>
    /// <returns>The builder.</returns>
    public static HostApplicationBuilder CreateApplicationBuilder(string[]? args = null)
    {
        string? explicitRoot = new ConfigurationBuilder().AddEnvironmentVariables("DOTNET_").AddCommandLine(args ?? []).Build()[ContentRootKey];
        string root = string.IsNullOrEmpty(explicitRoot) ? AppContext.BaseDirectory : Path.GetFullPath(explicitRoot);
        string origin = string.IsNullOrEmpty(explicitRoot) ? "the app's directory" : "the content root given by --contentRoot or DOTNET_CONTENTROOT";
        string problem;
        if (!Directory.Exists(root))
        {
            problem = $"Cannot read the settings: {origin}, {root}, is not a directory this user can enter. "
                + "Check that it exists and that every directory above it is searchable (chmod o+x), run as root (sudo), or give another directory with --contentRoot=DIR.";
        }
        else
        {
            try
            {
                return new HostApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = root });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or FormatException)
            {
                problem = $"Cannot read the settings in {root}: {OneLine(e)} Fix or remove the file, or give another directory with --contentRoot=DIR.";
            }
        }
        // A builder without configuration files, so that Main goes on to RunGadgetAsync, which reports the problem.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = "/", DisableDefaults = true });
        builder.Services.AddSingleton(new StartupProblem(problem));
        return builder;
    }

    // The configuration file providers wrap the reason (JSON syntax, permission) in their inner exception.
    private static string OneLine(Exception e)
    {
        string message = e.Message.TrimEnd('.') + ".";
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            message += " " + inner.Message.TrimEnd('.') + ".";
        }
        return message.ReplaceLineEndings(" ");
    }
}

/// <summary>Why the app cannot start before the host is even built; reported by <see cref="GadgetHostExtensions.RunGadgetAsync"/>.</summary>
internal sealed record StartupProblem(string Message);
