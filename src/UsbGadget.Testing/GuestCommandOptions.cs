namespace UsbGadget.Testing;

/// <summary>Per-command settings for <see cref="GadgetVm.RunAsync(string, GuestCommandOptions, CancellationToken)"/> and <see cref="GadgetVm.StartProcess"/>.</summary>
public sealed class GuestCommandOptions
{
    /// <summary>The guest working directory.</summary>
    /// <remarks>Defaults to <c>/tmp</c> (a tmpfs in the guest).</remarks>
    public string WorkingDirectory { get; set; } = "/tmp";

    /// <summary>Variables exported for this command only, on top of <see cref="GadgetVmOptions.Environment"/>.</summary>
    /// <remarks>Defaults to empty.</remarks>
    public IDictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>How long <see cref="GadgetVm.RunAsync(string, GuestCommandOptions, CancellationToken)"/> waits before it kills the command and throws.</summary>
    /// <remarks>Defaults to <see langword="null"/>, meaning <see cref="GadgetVmOptions.CommandTimeout"/>.</remarks>
    public TimeSpan? Timeout { get; set; }
}
