namespace UsbGadget.ConfigFs;

/// <summary>
/// The Microsoft OS 1.0 extended compatible id of one interface of a kernel function: the group
/// <c>functions/&lt;type&gt;.&lt;instance&gt;/os_desc/interface.&lt;Interface&gt;</c> that f_ncm and f_rndis create.
/// Windows reads it (with the gadget-level <see cref="OsDescriptorSettings"/>) to pick a driver without an .inf file.
/// </summary>
/// <param name="Interface">The name after <c>interface.</c>: <c>ncm</c> or <c>rndis</c>.</param>
/// <param name="CompatibleId">The compatible id, at most 8 ASCII characters, such as <c>WINNCM</c> or <c>RNDIS</c>.</param>
/// <param name="SubCompatibleId">The sub-compatible id, at most 8 ASCII characters (RNDIS uses <c>5162001</c>), or empty.</param>
public sealed record OsDescriptorInterface(string Interface, string CompatibleId, string SubCompatibleId = "")
{
    /// <summary>What Windows 10 and later bind their NCM driver (UsbNcm.sys) to.</summary>
    public static OsDescriptorInterface Ncm { get; } = new("ncm", "WINNCM");

    /// <summary>What Windows binds its RNDIS 6.0 driver to: compatible id <c>RNDIS</c>, sub-compatible id <c>5162001</c>.</summary>
    public static OsDescriptorInterface Rndis { get; } = new("rndis", "RNDIS", "5162001");

    /// <summary>The group directory relative to the function: <c>os_desc/interface.&lt;Interface&gt;</c>.</summary>
    public string DirectoryName => $"os_desc/interface.{Interface}";
}
