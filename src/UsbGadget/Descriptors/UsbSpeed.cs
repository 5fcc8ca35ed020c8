namespace UsbGadget.Descriptors;

/// <summary>A USB bus speed that FunctionFS accepts a descriptor set for.</summary>
public enum UsbSpeed
{
    /// <summary>Full speed, 12 Mbit/s (USB 1.1). Frames are 1 ms.</summary>
    Full,

    /// <summary>High speed, 480 Mbit/s (USB 2.0). Microframes are 125 µs.</summary>
    High,

    /// <summary>SuperSpeed, 5 Gbit/s and faster (USB 3.x). Service intervals are 125 µs.</summary>
    Super,
}

/// <summary>A set of <see cref="UsbSpeed"/> values a function provides descriptors for.</summary>
[Flags]
public enum UsbSpeeds
{
    /// <summary>No speed. Not valid for a function: it would never enumerate.</summary>
    None = 0,

    /// <summary>Full speed descriptors (FUNCTIONFS_HAS_FS_DESC).</summary>
    Full = 1,

    /// <summary>High speed descriptors (FUNCTIONFS_HAS_HS_DESC).</summary>
    High = 2,

    /// <summary>SuperSpeed descriptors (FUNCTIONFS_HAS_SS_DESC).</summary>
    Super = 4,

    /// <summary>Full, high and SuperSpeed descriptors.</summary>
    All = Full | High | Super,
}

/// <summary>Iterating and testing <see cref="UsbSpeeds"/> in the order FunctionFS lays descriptors out (fs, hs, ss).</summary>
internal static class UsbSpeedSet
{
    public static readonly UsbSpeed[] InBlobOrder = [UsbSpeed.Full, UsbSpeed.High, UsbSpeed.Super];

    public static bool Includes(this UsbSpeeds speeds, UsbSpeed speed) => speed switch
    {
        UsbSpeed.Full => (speeds & UsbSpeeds.Full) != 0,
        UsbSpeed.High => (speeds & UsbSpeeds.High) != 0,
        _ => (speeds & UsbSpeeds.Super) != 0,
    };
}
