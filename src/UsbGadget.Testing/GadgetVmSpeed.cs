namespace UsbGadget.Testing;

/// <summary>The bus speed the virtual controller (dummy_hcd) offers to gadgets.</summary>
public enum GadgetVmSpeed
{
    /// <summary>USB 2.0 high speed (480 Mbit/s); bulk endpoints use 512-byte packets.</summary>
    High,

    /// <summary>USB 3 SuperSpeed (5 Gbit/s, <c>is_super_speed=Y</c>); every function needs SuperSpeed descriptors and bulk endpoints use 1024-byte packets.</summary>
    Super,

    /// <summary>USB 1.1 full speed (12 Mbit/s, <c>is_high_speed=N</c>).</summary>
    Full,
}
