namespace UsbGadget.ConfigFs;

/// <summary>One teardown step that failed; teardown went on with the next step.</summary>
/// <param name="Step">The step, for example "unbind UDC" or "rmdir configuration".</param>
/// <param name="Path">The path the step worked on.</param>
/// <param name="Exception">Why it failed; its message names the step and the path.</param>
public sealed record TeardownFailure(string Step, string Path, Exception Exception)
{
    /// <inheritdoc/>
    public override string ToString() => Exception.Message;
}

/// <summary>
/// Removing a gadget finished, but some steps failed. Teardown does not stop at the first failure:
/// every step was tried, and <see cref="Failures"/> lists those that failed, in order.
/// </summary>
public sealed class GadgetTeardownException : AggregateException
{
    /// <summary>Creates the exception for the gadget <paramref name="gadgetName"/>.</summary>
    /// <param name="gadgetName">The gadget that was being removed.</param>
    /// <param name="failures">The steps that failed, in the order they ran.</param>
    public GadgetTeardownException(string gadgetName, IReadOnlyList<TeardownFailure> failures)
        : base(BuildMessage(gadgetName, failures), failures.Select(f => f.Exception))
    {
        GadgetName = gadgetName;
        Failures = failures;
    }

    /// <summary>The gadget that was being removed.</summary>
    public string GadgetName { get; }

    /// <summary>The steps that failed, in the order they ran.</summary>
    public IReadOnlyList<TeardownFailure> Failures { get; }

    private static string BuildMessage(string gadgetName, IReadOnlyList<TeardownFailure> failures) =>
        $"Removing gadget '{gadgetName}' left {failures.Count} step(s) failed; every other step ran:"
        + string.Concat(failures.Select(f => Environment.NewLine + "  - " + f))
        + Environment.NewLine
        + "Fix the cause named above (a process still holding FunctionFS files: 'fuser -vm <mount point>'), then run the removal again; it skips what is already gone.";
}
