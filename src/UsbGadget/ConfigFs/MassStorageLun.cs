namespace UsbGadget.ConfigFs;

/// <summary>One logical unit of the kernel's mass storage function: the group <c>lun.N</c>.</summary>
/// <param name="File">The image file or block device behind the unit, or null for a removable unit with no medium.</param>
public sealed record MassStorageLun(string? File)
{
    /// <summary>Whether the host may only read (<c>ro</c>).</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool ReadOnly { get; init; }

    /// <summary>Whether the medium is removable (<c>removable</c>); a removable unit may have no medium.</summary>
    /// <remarks>Defaults to true.</remarks>
    public bool Removable { get; init; } = true;

    /// <summary>Whether the unit appears as a CD-ROM (<c>cdrom</c>); CD-ROMs are read-only.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool CdRom { get; init; }

    /// <summary>Whether the FUA (force unit access) bit of SCSI writes is ignored (<c>nofua</c>), trading safety for speed.</summary>
    /// <remarks>Defaults to false.</remarks>
    public bool IgnoreForceUnitAccess { get; init; }

    /// <summary>The SCSI INQUIRY vendor (8), product (16) and revision (4) text (<c>inquiry_string</c>), or null for the kernel's.</summary>
    /// <remarks>Defaults to null.</remarks>
    public string? InquiryString { get; init; }
}
