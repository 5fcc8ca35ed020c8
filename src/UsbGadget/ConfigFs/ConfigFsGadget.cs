using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using UsbGadget.Linux;

namespace UsbGadget.ConfigFs;

/// <summary>
/// A gadget in configfs, created or attached to by <see cref="GadgetManager"/>. Its FunctionFS instances are mounted;
/// the FunctionFS layer writes descriptors to each ep0 and then calls <see cref="Bind"/>.
/// </summary>
/// <remarks>
/// A created gadget is removed completely by <see cref="Remove"/> or <see cref="Dispose"/>. An attached gadget belongs
/// to whoever made it (a shell script, systemd): disposing it only unmounts what this object mounted.
/// </remarks>
public sealed class ConfigFsGadget : IDisposable
{
    private readonly ConfigFsOptions _options;
    private readonly IConfigFsIo _io;
    private readonly IFunctionFsMounter _mounter;
    private readonly ILogger _logger;
    private readonly UdcDirectory _udcs;
    private readonly Dictionary<string, string> _mountPoints = new(StringComparer.Ordinal);
    private readonly List<string> _ownMounts = [];
    private readonly List<string> _createdMountPoints = [];
    private readonly Lock _lock = new();
    private string? _udcName;
    private bool _disposed;

    internal ConfigFsGadget(string name, bool attached, ConfigFsOptions options, IConfigFsIo io, IFunctionFsMounter mounter, ILogger logger)
    {
        Name = name;
        IsAttached = attached;
        _options = options;
        _io = io;
        _mounter = mounter;
        _logger = logger;
        _udcs = new UdcDirectory(options, io);
        Path = System.IO.Path.Combine(options.GadgetsPath, name);
    }

    /// <summary>The gadget's name, its directory under <c>usb_gadget/</c>.</summary>
    public string Name { get; }

    /// <summary>The gadget's configfs directory.</summary>
    public string Path { get; }

    /// <summary>True when this object attached to a gadget someone else created; false when it created the gadget.</summary>
    public bool IsAttached { get; }

    /// <summary>Where each FunctionFS instance is mounted, by instance name; ep0 is <c>&lt;mount point&gt;/ep0</c>.</summary>
    public IReadOnlyDictionary<string, string> FunctionFsMountPoints => _mountPoints;

    /// <summary>The UDC the gadget binds to: <see cref="ConfigFsOptions.UdcName"/>, or the only UDC present.</summary>
    /// <exception cref="ConfigFsException">No UDC, several UDCs and none chosen, or the chosen one is missing.</exception>
    public string UdcName => _udcName ??= _udcs.Select();

    /// <summary>The UDC the gadget is bound to now, or null when it is not bound.</summary>
    public string? BoundUdc
    {
        get
        {
            string udcFile = UdcFile;
            string? udc = _io.EntryExists(udcFile) ? _io.ReadAttribute(udcFile).Trim() : null;
            return string.IsNullOrEmpty(udc) ? null : udc;
        }
    }

    private string UdcFile => System.IO.Path.Combine(Path, "UDC");

    /// <summary>
    /// Reads an attribute of one of the gadget's functions, such as <c>port_num</c> of <c>acm.serial</c> (the N of
    /// <c>/dev/ttyGSN</c>), <c>dev</c> of a HID function or <c>ifname</c> of a network function (known once bound).
    /// </summary>
    /// <param name="functionDirectoryName">The function's directory name, <see cref="FunctionDefinition.DirectoryName"/>.</param>
    /// <param name="attribute">The attribute path relative to the function directory.</param>
    /// <returns>The value without its trailing newline.</returns>
    /// <exception cref="ConfigFsException">The function or attribute does not exist, or reading failed.</exception>
    public string ReadFunctionAttribute(string functionDirectoryName, string attribute)
    {
        ArgumentException.ThrowIfNullOrEmpty(functionDirectoryName);
        ArgumentException.ThrowIfNullOrEmpty(attribute);
        ObjectDisposedException.ThrowIf(_disposed, this);
        string path = System.IO.Path.Combine(Path, "functions", functionDirectoryName, attribute);
        try
        {
            return _io.ReadAttribute(path).TrimEnd('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed("reading", path, e);
        }
    }

    /// <summary>
    /// Binds the gadget to its UDC, which makes it visible to the host. Call it only after every FunctionFS instance has
    /// written its descriptors and strings to ep0; the kernel refuses the bind before that.
    /// </summary>
    /// <exception cref="ConfigFsException">
    /// <see cref="ConfigFsError.UdcBusy"/> (with the gadget or driver holding the UDC),
    /// <see cref="ConfigFsError.FunctionFsNotReady"/> (ENODEV), <see cref="ConfigFsError.UdcLacksEndpoints"/> (ENOTSUPP),
    /// <see cref="ConfigFsError.BindFailed"/> (EBUSY with the UDC free: newer kernels' answer to any bind failure),
    /// or a UDC selection error.
    /// </exception>
    public void Bind()
    {
        lock (_lock)
        {
            BindLocked();
        }
    }

    private void BindLocked()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string udc = UdcName;
        string? current = BoundUdc;
        if (current == udc)
        {
            ConfigFsLog.AlreadyBound(_logger, Name, udc);
            return;
        }
        if (current is not null)
        {
            throw new ConfigFsException(ConfigFsError.UdcBusy,
                $"Gadget '{Name}' is already bound to UDC '{current}', not '{udc}'. Unbind it first.", Errno.EBUSY, UdcFile);
        }

        // Ask before writing: on Linux 5.19 and later a busy UDC and a failed bind both come back as EBUSY.
        if (_udcs.FindHolder(udc, Name) is { } holder)
        {
            throw ConfigFsErrors.UdcBusy(Name, udc, holder.Holder, holder.UdcFile);
        }

        ConfigFsLog.Binding(_logger, Name, udc);
        try
        {
            _io.WriteAttribute(UdcFile, Encoding.UTF8.GetBytes(udc));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw TranslateBindFailure(udc, e);
        }
        ConfigFsLog.Bound(_logger, Name, udc);
    }

    /// <summary>Unbinds the gadget from its UDC (the host sees a disconnect). Does nothing when it is not bound.</summary>
    /// <exception cref="ConfigFsException">Writing the UDC file failed.</exception>
    public void Unbind()
    {
        lock (_lock)
        {
            UnbindLocked();
        }
    }

    private void UnbindLocked()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (BoundUdc is null)
        {
            return;
        }
        try
        {
            _io.WriteAttribute(UdcFile, "\n"u8);
        }
        catch (IOException e) when (ConfigFsErrors.ErrnoOf(e) == Errno.ENODEV)
        {
            // Unbound meanwhile.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed("unbinding: writing '' to", UdcFile, e);
        }
        ConfigFsLog.Unbound(_logger, Name);
    }

    /// <summary>
    /// Removes what this object owns. A created gadget: unbind, unmount, unlink, rmdir, in that order, going on past failures.
    /// An attached gadget: unmount only the FunctionFS mounts this object made.
    /// </summary>
    /// <exception cref="GadgetTeardownException">Some steps failed; every step was tried and each failure is listed.</exception>
    public void Remove()
    {
        lock (_lock)
        {
            RemoveLocked();
        }
    }

    private void RemoveLocked()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (IsAttached)
        {
            RemoveOwnMounts();
            return;
        }
        new GadgetTeardown(_io, _mounter, _logger).Run(Name, Path, _ownMounts, GadgetStateFile.PathFor(_options, Name), _createdMountPoints);
    }

    /// <summary>Like <see cref="Remove"/>, but logs teardown failures instead of throwing them.</summary>
    public void Dispose()
    {
        try
        {
            Remove();
        }
        catch (GadgetTeardownException)
        {
            // Already logged with every failed step (event 3013).
        }
    }

    internal void AddMount(string instance, string mountPoint, bool own)
    {
        _mountPoints[instance] = mountPoint;
        if (own)
        {
            _ownMounts.Add(mountPoint);
        }
    }

    internal void AddCreatedMountPoint(string mountPoint) => _createdMountPoints.Add(mountPoint);

    internal IEnumerable<(string Instance, string MountPoint)> OwnMounts =>
        _mountPoints.Where(m => _ownMounts.Contains(m.Value)).Select(m => (m.Key, m.Value));

    private void RemoveOwnMounts()
    {
        var failures = new List<TeardownFailure>();
        foreach (string mountPoint in _ownMounts)
        {
            try
            {
                if (!_mounter.Unmount(mountPoint))
                {
                    ConfigFsLog.UnmountDetached(_logger, mountPoint);
                }
            }
            catch (ConfigFsException e)
            {
                failures.Add(new TeardownFailure(GadgetTeardown.StepUnmount, mountPoint, e));
                ConfigFsLog.TeardownStepFailed(_logger, GadgetTeardown.StepUnmount, mountPoint, e.Message);
            }
        }
        foreach (string mountPoint in _createdMountPoints)
        {
            try
            {
                GadgetTeardown.RemoveMountPoint(_io, mountPoint);
                ConfigFsLog.TeardownStep(_logger, GadgetTeardown.StepRemoveMountPoint, mountPoint);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ConfigFsException reported = ConfigFsErrors.IoFailed(GadgetTeardown.StepRemoveMountPoint, mountPoint, e);
                failures.Add(new TeardownFailure(GadgetTeardown.StepRemoveMountPoint, mountPoint, reported));
                ConfigFsLog.TeardownStepFailed(_logger, GadgetTeardown.StepRemoveMountPoint, mountPoint, reported.Message);
            }
        }
        if (failures.Count > 0)
        {
            var exception = new GadgetTeardownException(Name, failures);
            ConfigFsLog.TeardownFailed(_logger, exception, Name, failures.Count);
            throw exception;
        }
    }

    private ConfigFsException TranslateBindFailure(string udc, Exception exception)
    {
        Errno errno = ConfigFsErrors.ErrnoOf(exception);
        IReadOnlyList<string> instances = GadgetTree.FunctionFsInstances(_io, Path);
        switch (errno)
        {
            case Errno.ENODEV:
                return ConfigFsErrors.FunctionFsNotReady(Name, udc, UdcFile, instances, errno);
            case Errno.ENOTSUPP:
                return ConfigFsErrors.UdcLacksEndpoints(Name, udc, UdcFile);
            case Errno.EBUSY:
                // Someone may have taken the UDC between the check and the write; otherwise the bind itself failed.
                return _udcs.FindHolder(udc, Name) is { } holder
                    ? ConfigFsErrors.UdcBusy(Name, udc, holder.Holder, holder.UdcFile)
                    : ConfigFsErrors.BindFailedInKernel(Name, udc, UdcFile, instances);
            default:
                return ConfigFsErrors.IoFailed($"binding: writing '{udc}' to", UdcFile, exception);
        }
    }

    internal static string Hex16(ushort value) => "0x" + value.ToString("x4", CultureInfo.InvariantCulture);

    internal static string Hex8(byte value) => "0x" + value.ToString("x2", CultureInfo.InvariantCulture);
}
