namespace UsbGadget.ConfigFs;

/// <summary>A gadget or FunctionFS mount left behind by a UsbGadget process that is gone.</summary>
/// <param name="Name">The gadget's name.</param>
/// <param name="GadgetPath">The gadget's configfs directory, or null when it no longer exists and only mounts remain.</param>
/// <param name="OwnerProcessId">The process that created it.</param>
/// <param name="MountPoints">FunctionFS mounts still present that belong to it.</param>
public sealed record StaleGadget(string Name, string? GadgetPath, int OwnerProcessId, IReadOnlyList<string> MountPoints)
{
    /// <summary>What a person would run to remove it by hand.</summary>
    public string ManualCleanup =>
        string.Join(Environment.NewLine, MountPoints.Select(m => $"umount {m}"))
        + (GadgetPath is null ? "" : (MountPoints.Count > 0 ? Environment.NewLine : "") + $"GADGET_NAME={Name} configfs-scripts/usb-gadget.sh teardown");
}
