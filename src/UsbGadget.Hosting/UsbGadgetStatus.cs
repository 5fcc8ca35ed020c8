namespace UsbGadget.Hosting;

/// <summary>
/// The hosted gadget's progress, for code that must wait until the host can use the device (for example, a keyboard
/// that should not type into the void). Resolve it from dependency injection.
/// </summary>
public sealed class UsbGadgetStatus
{
    private readonly TaskCompletionSource _enumerated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the host has enabled every function at least once.</summary>
    public bool IsEnumerated => _enumerated.Task.IsCompletedSuccessfully;

    /// <summary>Completes when the host has enabled every function for the first time.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes on enumeration.</returns>
    public Task WhenEnumeratedAsync(CancellationToken cancellationToken = default) => _enumerated.Task.WaitAsync(cancellationToken);

    internal void SetEnumerated() => _enumerated.TrySetResult();
}
