using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace UsbGadget.ConfigFs;

/// <summary>
/// Creates configfs gadgets from a <see cref="GadgetDefinition"/>, attaches to gadgets made elsewhere, lists UDCs,
/// and finds and removes gadgets left by crashed runs.
/// </summary>
public sealed class GadgetManager
{
    private readonly ConfigFsOptions _options;
    private readonly IFunctionFsMounter _mounter;
    private readonly IConfigFsIo _io;
    private readonly ILogger _logger;
    private readonly ProcessTable _processes;
    private readonly UdcDirectory _udcs;

    /// <summary>Creates a manager.</summary>
    /// <param name="options">Paths and behaviour; defaults to the real system paths.</param>
    /// <param name="mounter">The FunctionFS mounter; defaults to <see cref="FunctionFsMounter"/>.</param>
    /// <param name="logger">The logger; defaults to none.</param>
    public GadgetManager(ConfigFsOptions? options = null, IFunctionFsMounter? mounter = null, ILogger<GadgetManager>? logger = null)
        : this(options ?? new ConfigFsOptions(), mounter ?? new FunctionFsMounter(), SystemConfigFsIo.Instance, logger ?? (ILogger)NullLogger.Instance)
    {
    }

    internal GadgetManager(ConfigFsOptions options, IFunctionFsMounter mounter, IConfigFsIo io, ILogger logger)
    {
        _options = options;
        _mounter = mounter;
        _io = io;
        _logger = logger;
        _processes = new ProcessTable(options.ProcRoot);
        _udcs = new UdcDirectory(options, io);
    }

    /// <summary>The options in use.</summary>
    public ConfigFsOptions Options => _options;

    /// <summary>The USB device controllers present, sorted by name.</summary>
    public IReadOnlyList<string> ListUdcs() => _udcs.List();

    /// <summary>The UDC a gadget will bind to: <see cref="ConfigFsOptions.UdcName"/>, or the only one present.</summary>
    /// <exception cref="ConfigFsException">No UDC, several and none chosen, or the chosen one is missing.</exception>
    public string SelectUdc() => _udcs.Select();

    /// <summary>
    /// Creates the gadget: its attributes, strings, functions, configurations and links, MS OS descriptors and WebUSB, and
    /// mounts every FunctionFS instance. The gadget is not bound: the FunctionFS layer calls <see cref="ConfigFsGadget.Bind"/>
    /// once every instance has written its descriptors. If any step fails, what was created is removed again.
    /// </summary>
    /// <param name="definition">What to create.</param>
    /// <returns>The gadget; dispose it to remove it.</returns>
    /// <exception cref="ConfigFsException">The environment is not ready, the name is taken, or the kernel refused a step; the message says what to do.</exception>
    public ConfigFsGadget Create(GadgetDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Build(definition, service: null);
    }

    // Create and SetUpForService: the same gadget; for a service, FunctionFS is mounted for its user, who also gets UDC.
    private ConfigFsGadget Build(GadgetDefinition definition, (uint Uid, uint Gid)? service)
    {
        IReadOnlyList<string> problems = definition.Validate();
        if (problems.Count > 0)
        {
            throw ConfigFsErrors.InvalidDefinition(definition.Name, problems);
        }
        CheckEnvironment();

        var gadget = new ConfigFsGadget(definition.Name, attached: false, _options, _io, _mounter, _logger);
        ConfigFsLog.UdcSelected(_logger, gadget.UdcName);
        CheckEndpointBudget(definition, gadget.UdcName);
        ClaimName(definition.Name, gadget.Path);

        ConfigFsLog.GadgetCreating(_logger, definition.Name, gadget.Path);
        // 0550/0660 for a service: its user (and group) read and write ep0 and the endpoints; nobody else sees into the mount.
        FunctionFsMountOptions mount = service is (uint uid, uint gid)
            ? _options.FunctionFsMount with { Uid = uid, Gid = gid, RootMode = 0x168 /* 0550: f_fs masks it with 0555 */, FileMode = 0x1b0 /* 0660 */ }
            : _options.FunctionFsMount;
        try
        {
            WriteState(gadget, service);
            new GadgetWriter(_io, _logger).Write(definition, gadget.Path);
            MountFunctionFs(definition, gadget, mount, service);
            if (service is (uint owner, uint group))
            {
                GiveUdc(gadget, owner, group);
            }
        }
        catch (ConfigFsException e)
        {
            ConfigFsLog.CreateFailed(_logger, definition.Name, e.Error);
            // The teardown logs each step it could not do; the caller gets the cause, not the cleanup noise.
            try
            {
                gadget.Remove();
            }
            catch (GadgetTeardownException)
            {
            }
            throw;
        }
        if (service is (uint serviceUid, uint serviceGid))
        {
            ConfigFsLog.SetUpForService(_logger, definition.Name, serviceUid, serviceGid, definition.Functions.Count);
        }
        else
        {
            ConfigFsLog.GadgetCreated(_logger, definition.Name, definition.Functions.Count, definition.Configurations.Count);
        }
        return gadget;
    }

    /// <summary>
    /// Attaches to a gadget that a script or another tool created: finds each FunctionFS instance's mount point, or mounts
    /// it under <see cref="ConfigFsOptions.FunctionFsMountRoot"/>. Disposing the result only unmounts what it mounted.
    /// </summary>
    /// <param name="name">The gadget's name.</param>
    /// <returns>The attached gadget.</returns>
    /// <exception cref="ConfigFsException">The environment is not ready, the gadget does not exist, or a mount failed.</exception>
    public ConfigFsGadget Attach(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        // An unprivileged app attaches to a gadget its setup step prepared: it needs no root, only the files given to it.
        uint euid = _io.EffectiveUserId;
        CheckEnvironment(requireRoot: false);
        var gadget = new ConfigFsGadget(name, attached: true, _options, _io, _mounter, _logger);
        if (!_io.DirectoryExists(gadget.Path))
        {
            throw euid == 0 ? ConfigFsErrors.GadgetNotFound(name, gadget.Path) : ConfigFsErrors.GadgetNotPrepared(name, gadget.Path, euid);
        }
        IReadOnlyList<MountEntry> table = _mounter.ReadMountTable();
        try
        {
            foreach (string instance in GadgetTree.FunctionFsInstances(_io, gadget.Path))
            {
                MountEntry? existing = table.FirstOrDefault(m => m.IsFunctionFs && m.Source == instance);
                if (existing is not null)
                {
                    // Ask before opening: an ep0 that belongs to another user is another user's gadget, and says so in one line.
                    string ep0 = System.IO.Path.Combine(existing.MountPoint, "ep0");
                    if (euid != 0 && !_io.CanReadWrite(ep0))
                    {
                        throw ConfigFsErrors.NotPermittedFunctionFs(name, ep0, euid);
                    }
                    ConfigFsLog.FunctionFsMountFound(_logger, instance, existing.MountPoint);
                    gadget.AddMount(instance, existing.MountPoint, own: false);
                }
                else if (euid != 0)
                {
                    throw ConfigFsErrors.NotPermittedToMount(name, instance, euid);
                }
                else
                {
                    gadget.AddMount(instance, MountOne(gadget, instance, _options.FunctionFsMount), own: true);
                }
            }
        }
        catch (ConfigFsException)
        {
            gadget.Dispose();
            throw;
        }
        ConfigFsLog.Attached(_logger, name, gadget.Path);
        return gadget;
    }

    /// <summary>
    /// The privileged half of running a gadget as an unprivileged service: creates the gadget as <see cref="Create"/> does,
    /// mounts each FunctionFS instance for the service user (<c>uid</c>, <c>gid</c>, <c>rmode=0550</c>, <c>fmode=0660</c>)
    /// and gives the gadget's <c>UDC</c> attribute to that user, so the service can write descriptors, bind and unbind this
    /// gadget and touch no other. The gadget outlives this process: <see cref="TearDownForService"/> removes it.
    /// </summary>
    /// <param name="definition">What to create.</param>
    /// <param name="uid">The service user's id.</param>
    /// <param name="gid">The service user's group id.</param>
    /// <returns>The gadget, attached: disposing it leaves it in place for the service.</returns>
    /// <exception cref="ConfigFsException">
    /// Not root, the environment is not ready, the name is taken (<see cref="ConfigFsError.GadgetOwnedByService"/> when an
    /// earlier setup's gadget is still there), or the kernel refused a step; what was created is removed again.
    /// </exception>
    public ConfigFsGadget SetUpForService(GadgetDefinition definition, uint uid, uint gid)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ConfigFsGadget created = Build(definition, (uid, gid));
        var result = new ConfigFsGadget(definition.Name, attached: true, _options, _io, _mounter, _logger);
        foreach ((string instance, string mountPoint) in created.FunctionFsMountPoints)
        {
            result.AddMount(instance, mountPoint, own: false);
        }
        return result;
    }

    /// <summary>
    /// The privileged step after an unprivileged service stops: unbinds, unmounts and removes the gadget that
    /// <see cref="SetUpForService"/> made, with its mount points and state file. Does nothing when the gadget is gone.
    /// </summary>
    /// <param name="name">The gadget's name.</param>
    /// <returns>True when a gadget was removed; false when there was none.</returns>
    /// <exception cref="ConfigFsException">Not root, or the gadget was not made by a setup step (it belongs to a script or a running app).</exception>
    /// <exception cref="GadgetTeardownException">Some steps failed; every step was tried.</exception>
    public bool TearDownForService(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        CheckEnvironment();
        string gadgetPath = System.IO.Path.Combine(_options.GadgetsPath, name);
        string stateFile = GadgetStateFile.PathFor(_options, name);
        GadgetStateFile? state = ReadState(name);
        bool exists = _io.DirectoryExists(gadgetPath);
        if (state is null && !exists)
        {
            ConfigFsLog.NothingToTearDown(_logger, name);
            return false;
        }
        if (state?.Service is null)
        {
            throw state is not null && _processes.IsAlive(state)
                ? ConfigFsErrors.GadgetOwnedByRunningProcess(name, gadgetPath, state.ProcessId)
                : ConfigFsErrors.NotAServiceGadget(name, gadgetPath);
        }
        new GadgetTeardown(_io, _mounter, _logger).Run(name, gadgetPath, state.Mounts.Select(m => m.MountPoint), stateFile, state.CreatedMountPoints);
        return true;
    }

    /// <summary>
    /// Gadgets and FunctionFS mounts left by UsbGadget processes that are gone: every state file in
    /// <see cref="ConfigFsOptions.StateDirectory"/> whose process no longer runs.
    /// </summary>
    public IReadOnlyList<StaleGadget> FindStale()
    {
        var stale = new List<StaleGadget>();
        if (!_io.DirectoryExists(_options.StateDirectory))
        {
            return stale;
        }
        HashSet<string> mounted = FunctionFsMountPoints();
        foreach (ConfigFsEntry entry in _io.List(_options.StateDirectory))
        {
            if (entry.Kind != ConfigFsEntryKind.File || !entry.Name.EndsWith(GadgetStateFile.Extension, StringComparison.Ordinal))
            {
                continue;
            }
            string name = entry.Name[..^GadgetStateFile.Extension.Length];
            // A service's gadget outlives its setup process on purpose: not stale, its teardown step removes it.
            if (ReadState(name) is { } state && state.Service is null && !_processes.IsAlive(state))
            {
                string gadgetPath = Path.Combine(_options.GadgetsPath, name);
                stale.Add(new StaleGadget(
                    name,
                    _io.DirectoryExists(gadgetPath) ? gadgetPath : null,
                    state.ProcessId,
                    state.Mounts.Select(m => m.MountPoint).Where(mounted.Contains).ToList()));
            }
        }
        return stale;
    }

    /// <summary>Removes a stale gadget found by <see cref="FindStale"/>: its mounts, its configfs tree and its state file.</summary>
    /// <param name="stale">The stale gadget.</param>
    /// <exception cref="GadgetTeardownException">Some steps failed; every step was tried.</exception>
    public void RemoveStale(StaleGadget stale)
    {
        ArgumentNullException.ThrowIfNull(stale);
        ConfigFsLog.StaleGadgetRemoving(_logger, stale.Name, stale.OwnerProcessId);
        new GadgetTeardown(_io, _mounter, _logger).Run(
            stale.Name, Path.Combine(_options.GadgetsPath, stale.Name), stale.MountPoints, GadgetStateFile.PathFor(_options, stale.Name));
    }

    /// <summary>Removes the stale gadget named <paramref name="name"/>.</summary>
    /// <param name="name">The gadget's name.</param>
    /// <exception cref="InvalidOperationException">No stale gadget has that name (it does not exist, or its process still runs).</exception>
    /// <exception cref="GadgetTeardownException">Some steps failed; every step was tried.</exception>
    public void RemoveStale(string name)
    {
        StaleGadget stale = FindStale().FirstOrDefault(s => s.Name == name)
            ?? throw new InvalidOperationException($"No stale gadget named '{name}': either it has no state file in {_options.StateDirectory} or its process still runs.");
        RemoveStale(stale);
    }

    /// <summary>
    /// Removes any gadget by name, whoever created it, with the same ordered teardown as <see cref="ConfigFsGadget.Remove"/>.
    /// </summary>
    /// <param name="name">The gadget's name.</param>
    /// <exception cref="GadgetTeardownException">Some steps failed; every step was tried.</exception>
    public void Remove(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string stateFile = GadgetStateFile.PathFor(_options, name);
        GadgetStateFile? state = ReadState(name);
        new GadgetTeardown(_io, _mounter, _logger).Run(
            name, Path.Combine(_options.GadgetsPath, name), state?.Mounts.Select(m => m.MountPoint) ?? [], _io.EntryExists(stateFile) ? stateFile : null);
    }

    // The kernel would refuse the bind with a bare ENOTSUPP (EBUSY since 5.19) after the whole gadget was built; the
    // controllers whose endpoint lists are known are checked here, before configfs is touched.
    private static void CheckEndpointBudget(GadgetDefinition definition, string udc)
    {
        if (UdcEndpointBudget.ForUdc(udc) is not { } budget)
        {
            return;
        }
        foreach (ConfigurationDefinition configuration in definition.Configurations)
        {
            List<FunctionDefinition> linked = [.. configuration.Functions
                .Select(name => definition.Functions.FirstOrDefault(f => f.DirectoryName == name))
                .OfType<FunctionDefinition>()];
            if (budget.FindShortfall(linked) is { } shortfall)
            {
                throw ConfigFsErrors.EndpointBudgetExceeded(definition.Name, udc, budget, linked, shortfall);
            }
        }
    }

    private void CheckEnvironment(bool requireRoot = true)
    {
        uint euid = _io.EffectiveUserId;
        if (requireRoot && euid != 0)
        {
            throw ConfigFsErrors.NotRoot(euid);
        }
        if (_io.DirectoryExists(_options.GadgetsPath))
        {
            return;
        }
        string root = Path.TrimEndingDirectorySeparator(_options.ConfigFsRoot);
        bool mounted = _mounter.ReadMountTable().Any(m => m.FileSystemType == MountEntry.ConfigFsType && Path.TrimEndingDirectorySeparator(m.MountPoint) == root);
        throw mounted ? ConfigFsErrors.LibCompositeNotLoaded(_options.GadgetsPath) : ConfigFsErrors.ConfigFsNotMounted(_options.ConfigFsRoot);
    }

    // A gadget directory with our name: ours from a dead process is removed (or reported); anything else is an error.
    private void ClaimName(string name, string gadgetPath)
    {
        GadgetStateFile? state = ReadState(name);
        bool exists = _io.DirectoryExists(gadgetPath);
        if (state is null)
        {
            if (exists)
            {
                throw ConfigFsErrors.GadgetNameTaken(name, gadgetPath, GadgetStateFile.PathFor(_options, name));
            }
            return;
        }
        if (state.Service is (uint uid, uint gid))
        {
            throw ConfigFsErrors.GadgetOwnedByService(name, gadgetPath, uid, gid);
        }
        if (_processes.IsAlive(state))
        {
            // Another live process may be between writing its state file and its mkdir: leave the name to it.
            // Only this process's own state file without a gadget (a teardown that could not delete it) is reused.
            if (exists || state.ProcessId != ProcessTable.CurrentProcessId)
            {
                throw ConfigFsErrors.GadgetOwnedByRunningProcess(name, gadgetPath, state.ProcessId);
            }
            return;
        }
        if (!_options.RemoveStaleGadgets && exists)
        {
            throw ConfigFsErrors.StaleGadgetKept(name, gadgetPath, state.ProcessId);
        }
        // Dead owner: remove its gadget and mounts (when only mounts remain, they go even with RemoveStaleGadgets off:
        // they would make our own mount fail with EBUSY).
        HashSet<string> mounted = FunctionFsMountPoints();
        RemoveStale(new StaleGadget(name, exists ? gadgetPath : null, state.ProcessId, state.Mounts.Select(m => m.MountPoint).Where(mounted.Contains).ToList()));
    }

    private GadgetStateFile? ReadState(string name)
    {
        string path = GadgetStateFile.PathFor(_options, name);
        try
        {
            return _io.EntryExists(path) ? GadgetStateFile.Parse(name, _io.ReadAttribute(path)) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void WriteState(ConfigFsGadget gadget, (uint Uid, uint Gid)? service)
    {
        int pid = ProcessTable.CurrentProcessId;
        var state = new GadgetStateFile(gadget.Name, pid, _processes.StartTime(pid), gadget.OwnMounts.ToList())
        {
            Service = service,
            // A service's teardown runs in another process, which learns from here which mount points to remove.
            CreatedMountPoints = service is null ? [] : gadget.CreatedMountPoints,
        };
        string path = GadgetStateFile.PathFor(_options, gadget.Name);
        try
        {
            _io.CreateDirectoryTree(_options.StateDirectory);
            _io.WriteFile(path, state.Format());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed("writing the state file", path, e);
        }
    }

    private void MountFunctionFs(GadgetDefinition definition, ConfigFsGadget gadget, FunctionFsMountOptions mount, (uint Uid, uint Gid)? service)
    {
        foreach (FunctionDefinition function in definition.Functions.Where(f => f.IsFunctionFs))
        {
            gadget.AddMount(function.Instance, MountOne(gadget, function.Instance, mount), own: true);
            // Record each mount as soon as it exists, so a crash right after still leaves a complete trail.
            WriteState(gadget, service);
        }
    }

    // configfs keeps an owner per attribute: the service may bind and unbind this gadget, and touch no other.
    private void GiveUdc(ConfigFsGadget gadget, uint uid, uint gid)
    {
        string udcFile = Path.Combine(gadget.Path, "UDC");
        try
        {
            _io.ChangeOwner(udcFile, uid, gid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed($"giving the UDC attribute to uid {uid}: chown", udcFile, e);
        }
    }

    private string MountOne(ConfigFsGadget gadget, string instance, FunctionFsMountOptions options)
    {
        string mountPoint = Path.Combine(_options.FunctionFsMountRoot, instance);
        // mount(2) would stack FunctionFS over whatever is there and hide it, and the gadget would run on top of it.
        string trimmed = Path.TrimEndingDirectorySeparator(mountPoint);
        if (_mounter.ReadMountTable().LastOrDefault(m => Path.TrimEndingDirectorySeparator(m.MountPoint) == trimmed) is { } occupant)
        {
            throw ConfigFsErrors.MountPointInUse(instance, mountPoint, occupant);
        }
        bool existed = _io.DirectoryExists(mountPoint);
        try
        {
            _io.CreateDirectoryTree(mountPoint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed("creating the mount point", mountPoint, e);
        }
        if (!existed)
        {
            // Removed again with the gadget, mounted or not; a directory someone else made stays.
            gadget.AddCreatedMountPoint(mountPoint);
        }
        _mounter.Mount(instance, mountPoint, options);
        ConfigFsLog.FunctionFsMounted(_logger, instance, mountPoint);
        return mountPoint;
    }

    private HashSet<string> FunctionFsMountPoints() =>
        _mounter.ReadMountTable().Where(m => m.IsFunctionFs).Select(m => m.MountPoint).ToHashSet(StringComparer.Ordinal);
}

/// <summary>Writes a <see cref="GadgetDefinition"/> into configfs, in the order the kernel needs.</summary>
internal sealed class GadgetWriter
{
    private readonly IConfigFsIo _io;
    private readonly ILogger _logger;

    public GadgetWriter(IConfigFsIo io, ILogger logger)
    {
        _io = io;
        _logger = logger;
    }

    public void Write(GadgetDefinition definition, string gadgetPath)
    {
        MakeDirectory(gadgetPath);
        Write(gadgetPath, "idVendor", ConfigFsGadget.Hex16(definition.VendorId));
        Write(gadgetPath, "idProduct", ConfigFsGadget.Hex16(definition.ProductId));
        Write(gadgetPath, "bcdDevice", ConfigFsGadget.Hex16(definition.DeviceVersion));
        Write(gadgetPath, "bcdUSB", ConfigFsGadget.Hex16(definition.UsbVersion));
        Write(gadgetPath, "bDeviceClass", ConfigFsGadget.Hex8(definition.DeviceClass));
        Write(gadgetPath, "bDeviceSubClass", ConfigFsGadget.Hex8(definition.DeviceSubClass));
        Write(gadgetPath, "bDeviceProtocol", ConfigFsGadget.Hex8(definition.DeviceProtocol));
        Write(gadgetPath, "bMaxPacketSize0", ConfigFsGadget.Hex8(definition.MaxPacketSize0));

        foreach (GadgetStrings strings in definition.Strings)
        {
            string dir = EnsureGroup(Path.Combine(gadgetPath, "strings"), Language(strings.LanguageId));
            WriteIfSet(dir, "manufacturer", strings.Manufacturer);
            WriteIfSet(dir, "product", strings.Product);
            WriteIfSet(dir, "serialnumber", strings.SerialNumber);
        }

        string functionsPath = Path.Combine(gadgetPath, "functions");
        foreach (FunctionDefinition function in definition.Functions)
        {
            string dir = Path.Combine(EnsureDefaultGroup(functionsPath), function.DirectoryName);
            try
            {
                _io.CreateDirectory(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw ConfigFsErrors.FunctionCreateFailed(function, dir, e);
            }
            ConfigFsLog.DirectoryCreated(_logger, dir);
            foreach (string sub in function.Directories)
            {
                MakeDirectory(Path.Combine(dir, sub));
            }
            foreach (ConfigFsAttribute attribute in function.Attributes)
            {
                Write(dir, attribute.Name, attribute.Value.Span, attribute.DisplayValue);
            }
            foreach (OsDescriptorInterface osInterface in function.OsDescriptorInterfaces)
            {
                // A default group of the function (f_ncm and f_rndis make it); a kernel without it has no MS OS support in that function.
                string osDir = Path.Combine(dir, osInterface.DirectoryName);
                if (!_io.DirectoryExists(osDir))
                {
                    throw ConfigFsErrors.FunctionOsDescriptorsNotSupported(osDir);
                }
                Write(osDir, "compatible_id", osInterface.CompatibleId);
                if (osInterface.SubCompatibleId.Length > 0)
                {
                    Write(osDir, "sub_compatible_id", osInterface.SubCompatibleId);
                }
            }
        }

        string configsPath = Path.Combine(gadgetPath, "configs");
        foreach (ConfigurationDefinition config in definition.Configurations)
        {
            string dir = Path.Combine(EnsureDefaultGroup(configsPath), config.DirectoryName);
            MakeDirectory(dir);
            Write(dir, "MaxPower", config.MaxPowerMilliamps.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Write(dir, "bmAttributes", ConfigFsGadget.Hex8(config.Attributes));
            foreach (ConfigurationString s in config.Strings)
            {
                string lang = EnsureGroup(Path.Combine(dir, "strings"), Language(s.LanguageId));
                Write(lang, "configuration", s.Configuration);
            }
            foreach (string function in config.Functions)
            {
                Link(Path.Combine(dir, function), Path.Combine(functionsPath, function));
            }
        }

        if (definition.OsDescriptors is { } os)
        {
            string dir = Path.Combine(gadgetPath, "os_desc");
            if (!_io.DirectoryExists(dir))
            {
                throw ConfigFsErrors.OsDescriptorsNotSupported(gadgetPath);
            }
            Write(dir, "use", "1");
            Write(dir, "b_vendor_code", ConfigFsGadget.Hex8(os.VendorCode));
            Write(dir, "qw_sign", os.Signature);
            ConfigurationDefinition config = definition.Configurations.First(c => c.Number == os.ConfigurationNumber);
            Link(Path.Combine(dir, config.DirectoryName), Path.Combine(configsPath, config.DirectoryName));
        }

        if (definition.WebUsb is { } web)
        {
            string dir = Path.Combine(gadgetPath, "webusb");
            if (!_io.DirectoryExists(dir))
            {
                throw ConfigFsErrors.WebUsbNotSupported(gadgetPath);
            }
            Write(dir, "bcdVersion", ConfigFsGadget.Hex16(web.Version));
            Write(dir, "bVendorCode", ConfigFsGadget.Hex8(web.VendorCode));
            WriteIfSet(dir, "landingPage", web.LandingPage);
            Write(dir, "use", "1");
        }
    }

    private static string Language(ushort languageId) => "0x" + languageId.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    // configfs creates default groups (strings/, configs/, functions/) with the gadget; a plain directory tree does not.
    private string EnsureDefaultGroup(string path)
    {
        if (!_io.DirectoryExists(path))
        {
            MakeDirectory(path);
        }
        return path;
    }

    private string EnsureGroup(string parent, string name)
    {
        string path = Path.Combine(EnsureDefaultGroup(parent), name);
        if (!_io.DirectoryExists(path))
        {
            MakeDirectory(path);
        }
        return path;
    }

    private void MakeDirectory(string path)
    {
        try
        {
            _io.CreateDirectory(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed("mkdir", path, e);
        }
        ConfigFsLog.DirectoryCreated(_logger, path);
    }

    private void Link(string linkPath, string target)
    {
        try
        {
            _io.CreateSymlink(linkPath, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.IoFailed($"symlink to {target} at", linkPath, e);
        }
        ConfigFsLog.SymlinkCreated(_logger, linkPath, target);
    }

    private void WriteIfSet(string dir, string name, string? value)
    {
        if (value is not null)
        {
            Write(dir, name, value);
        }
    }

    private void Write(string dir, string name, string value) => Write(dir, name, Encoding.UTF8.GetBytes(value), value);

    private void Write(string dir, string name, ReadOnlySpan<byte> value, string display)
    {
        string path = Path.Combine(dir, name);
        try
        {
            _io.WriteAttribute(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigFsErrors.AttributeWriteFailed(path, display, e);
        }
        ConfigFsLog.AttributeWritten(_logger, path, display);
    }
}
