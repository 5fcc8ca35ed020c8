using UsbGadget.ConfigFs;

namespace UsbGadget.Cli;

/// <summary>
/// <c>usbgadget doctor</c>: checks, in the order a gadget needs them, everything between a board and a bound gadget,
/// and gives each problem its fix in one line. The board knowledge is that of configfs-scripts/boards/*.sh.
/// </summary>
internal sealed class Doctor
{
    // Kernel features the library uses or offers, with the release that brought them (docs/cli.md, shared kernel notes).
    private static readonly Version s_functionFsV2 = new(3, 18);
    private static readonly Version s_webUsb = new(6, 3);

    private const string PiOverlayLine = "dtoverlay=dwc2,dr_mode=peripheral";

    private readonly HostSystem _system;
    private readonly GadgetInventory _inventory;
    private readonly List<Finding> _findings = [];

    public Doctor(HostSystem system)
    {
        _system = system;
        _inventory = new GadgetInventory(system);
    }

    private ConfigFsOptions Options => _system.Paths.ConfigFs;

    public IReadOnlyList<Finding> Run()
    {
        _findings.Clear();
        CheckPrivileges();
        CheckBoard();
        CheckKernel();
        bool configFsReady = CheckConfigFs();
        CheckModules(configFsReady);
        CheckUdcs();
        if (configFsReady)
        {
            CheckGadgets();
        }
        return _findings;
    }

    private void Add(Finding finding) => _findings.Add(finding);

    private void CheckPrivileges()
    {
        uint euid = _system.EffectiveUserId;
        Add(euid == 0
            ? Finding.Ok("user", "root")
            : Finding.Warn("user", $"effective user id {euid}, not root: reading works, but creating gadgets, mounting FunctionFS and cleanup need root",
                "run the gadget and 'usbgadget cleanup' as root (sudo, or a systemd unit with User=root)"));
    }

    private void CheckBoard()
    {
        string? model = _system.BoardModel;
        if (!_system.HasDeviceTree)
        {
            Add(Finding.Ok("board", "no device tree: a PC or a VM (only dummy_hcd gives it a UDC, for tests)"));
            return;
        }
        Add(Finding.Ok("board", model ?? "device tree without a model name"));
        if (_system.IsRaspberryPi)
        {
            CheckRaspberryPiBootConfig();
        }
        CheckDualRoleModes();
    }

    // As configfs-scripts/boards/raspberry-pi.sh check: the dwc2 overlay in config.txt and the dwc2 module at boot.
    private void CheckRaspberryPiBootConfig()
    {
        if (_system.BootFile("config.txt") is not var (configPath, configLines))
        {
            Add(Finding.Warn("boot", "no config.txt in /boot/firmware or /boot: cannot check the dwc2 overlay",
                $"make sure the firmware's config.txt has '{PiOverlayLine}'"));
            return;
        }
        string? overlay = configLines.FirstOrDefault(l => l.StartsWith("dtoverlay=dwc2", StringComparison.Ordinal));
        if (overlay is null)
        {
            Add(Finding.Fail("boot", $"{configPath} has no dtoverlay=dwc2: the USB port stays a host port",
                $"add '{PiOverlayLine}' under [all] at the end of {configPath} and reboot (or: sudo configfs-scripts/boards/raspberry-pi.sh apply)"));
        }
        else if (overlay.Contains("dr_mode=host", StringComparison.Ordinal))
        {
            Add(Finding.Fail("boot", $"{configPath} has '{overlay}': the port is forced into host mode",
                $"change that line to '{PiOverlayLine}' and reboot"));
        }
        else
        {
            Add(Finding.Ok("boot", $"{configPath}: {overlay}"));
        }

        if (_system.Module("dwc2") is ModuleState.Loaded or ModuleState.BuiltIn)
        {
            return;
        }
        bool modulesLoad = _system.BootFile("cmdline.txt") is var (_, cmdline) && cmdline.Any(l => l.Contains("modules-load=", StringComparison.Ordinal) && l.Contains("dwc2", StringComparison.Ordinal));
        if (!modulesLoad)
        {
            string cmdlinePath = Path.Combine(Path.GetDirectoryName(configPath)!, "cmdline.txt");
            Add(Finding.Fail("boot", $"dwc2 is not loaded and {cmdlinePath} does not load it at boot",
                $"add 'modules-load=dwc2' after 'rootwait' on the single line of {cmdlinePath} and reboot (or: sudo modprobe dwc2 for now)"));
        }
    }

    private void CheckDualRoleModes()
    {
        IReadOnlyList<(string Node, string Mode)> modes = _system.DualRoleModes();
        if (modes.Count == 0)
        {
            return;
        }
        string list = string.Join(", ", modes.Select(m => $"{m.Node} {m.Mode}"));
        if (modes.Any(m => m.Mode is "peripheral" or "otg"))
        {
            Add(Finding.Ok("device tree", $"dr_mode: {list}"));
        }
        else
        {
            Add(Finding.Fail("device tree", $"every dual-role USB controller is in host mode (dr_mode: {list})",
                _system.IsRaspberryPi
                    ? $"add '{PiOverlayLine}' to config.txt and reboot"
                    : "set dr_mode = \"peripheral\" (or \"otg\") on the device port's controller with a device-tree overlay, then reboot"));
        }
    }

    private void CheckKernel()
    {
        string? release = _system.KernelRelease;
        Version? version = _system.KernelVersion;
        if (version is null)
        {
            Add(Finding.Warn("kernel", $"cannot read the kernel release ({release ?? "no /proc/sys/kernel/osrelease"})", "mount procfs at /proc"));
            return;
        }
        if (version < s_functionFsV2)
        {
            Add(Finding.Fail("kernel", $"{release}: FunctionFS v2 descriptors came with Linux 3.18", "use a kernel of 3.18 or later (6.1+ is tested)"));
            return;
        }
        Add(Finding.Ok("kernel", $"{release}: FunctionFS v2, MS OS descriptors"
            + (version >= Ep0EventFd ? ", ep0 eventfd" : "")
            + (version >= s_webUsb ? ", WebUSB" : "")));
        if (version < Ep0EventFd)
        {
            Add(Finding.Note("kernel", "FUNCTIONFS_EVENTFD can panic at teardown before 5.16, so UsbGadget watches ep0 with a poll instead (slightly slower control requests)",
                "nothing to do; a 5.16+ kernel lets it use the eventfd"));
        }
        if (version < s_webUsb)
        {
            Add(Finding.Note("kernel", "no WebUSB: the configfs webusb group came with Linux 6.3",
                "use a 6.3+ kernel to set GadgetDefinition.WebUsb (Raspberry Pi OS ships 6.12)"));
        }
    }

    private static Version Ep0EventFd => FunctionFs.KernelRelease.SafeEventFd;

    private bool CheckConfigFs()
    {
        if (_system.Io.DirectoryExists(Options.GadgetsPath))
        {
            Add(Finding.Ok("configfs", $"mounted, {Options.GadgetsPath} present"));
            return true;
        }
        if (!_system.ConfigFsMounted)
        {
            Add(Finding.Fail("configfs", $"not mounted at {Options.ConfigFsRoot}", $"sudo mount -t configfs none {Options.ConfigFsRoot}"));
        }
        return false;
    }

    private void CheckModules(bool configFsReady)
    {
        // The gadget framework: its configfs directory is proof enough, whether it is a module or built in.
        if (configFsReady)
        {
            Add(Finding.Ok("module", "libcomposite (the gadget framework)"));
        }
        else
        {
            AddModule("libcomposite", "the gadget framework", "CONFIG_USB_LIBCOMPOSITE and CONFIG_USB_CONFIGFS",
                _system.ConfigFsMounted ? $"configfs is mounted but has no {Options.GadgetsPath}" : null);
        }

        // f_fs registers the functionfs file system only while an ffs instance exists (_ffs_alloc_dev), so its presence
        // proves the code is there (even built in) but its absence proves nothing: then the module lists decide.
        if (_system.KnowsFileSystem(MountEntry.FunctionFsType))
        {
            Add(Finding.Ok("module", "usb_f_fs (FunctionFS)"));
        }
        else
        {
            AddModule("usb_f_fs", "FunctionFS, which every UsbGadget function runs on", "CONFIG_USB_CONFIGFS_F_FS", evidence: null);
        }
    }

    private void AddModule(string module, string role, string config, string? evidence)
    {
        ModuleState state = _system.Module(module);
        string what = $"{module} ({role})";
        string prefix = evidence is null ? "" : evidence + ": ";
        switch (state)
        {
            case ModuleState.Loaded or ModuleState.BuiltIn:
                Add(Finding.Ok("module", what));
                break;
            case ModuleState.NotShipped:
                Add(Finding.Fail("module", $"{prefix}{what} is not in this kernel and not installed as a module",
                    $"use a kernel built with {config} (Raspberry Pi OS and Debian kernels have it)"));
                break;
            default:
                Add(Finding.Fail("module", $"{prefix}{what} is not loaded",
                    $"sudo modprobe {module} (and add '{module}' to /etc/modules to load it at every boot)"));
                break;
        }
    }

    private void CheckUdcs()
    {
        var udcs = new UdcDirectory(Options, _system.Io);
        IReadOnlyList<string> names = udcs.List();
        if (names.Count == 0)
        {
            AddMissingUdc();
            return;
        }

        var busy = new List<(string Udc, string Fix)>();
        bool servesUsbGadget = false;
        foreach (string udc in names)
        {
            string? driver = HostSystem.LinkName(Path.Combine(Options.UdcClassPath, udc, "device", "driver"));
            string? speed = _system.ReadAttribute(Path.Combine(Options.UdcClassPath, udc, "maximum_speed"));
            string about = $"{udc} (driver {driver ?? "unknown"}{(speed is null ? "" : ", up to " + speed)})";
            (string Holder, string? UdcFile)? holder;
            try
            {
                holder = udcs.FindHolder(udc, exceptGadget: "");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                holder = null;
            }
            if (holder is not var (name, udcFile))
            {
                Add(Finding.Ok("udc", $"{about}: free"));
                continue;
            }
            if (udcFile is null)
            {
                string fix = $"stop the legacy gadget driver '{name}' that holds it: sudo modprobe -r {name}";
                Add(Finding.Warn("udc", $"{about}: held by the legacy gadget driver '{name}'", fix));
                busy.Add((udc, fix));
                continue;
            }
            GadgetOwner owner = _inventory.Owner(name);
            switch (owner.Kind)
            {
                case GadgetOwnerKind.Running:
                    servesUsbGadget = true;
                    Add(Finding.Ok("udc", $"{about}: serving gadget '{name}' of {owner}"));
                    break;
                case GadgetOwnerKind.Service:
                    servesUsbGadget = true;
                    Add(Finding.Ok("udc", $"{about}: serving gadget '{name}', {owner}"));
                    break;
                case GadgetOwnerKind.Gone:
                    Add(Finding.Fail("udc", $"{about}: held by gadget '{name}', left over from UsbGadget process {owner.ProcessId}, which is gone",
                        "sudo usbgadget cleanup"));
                    busy.Add((udc, "sudo usbgadget cleanup"));
                    break;
                default:
                    string unbind = $"echo '' > {udcFile}";
                    Add(Finding.Warn("udc", $"{about}: held by gadget '{name}' (no state file: made by a script or another tool)",
                        $"to free it, unbind that gadget: {unbind}"));
                    busy.Add((udc, unbind));
                    break;
            }
        }

        if (busy.Count == names.Count && !servesUsbGadget)
        {
            Add(Finding.Fail("udc", $"no free UDC: a new gadget cannot bind ({string.Join(", ", busy.Select(b => b.Udc))} busy)", busy[0].Fix));
        }
        foreach (string udc in names)
        {
            Add(UdcEndpointBudget.ForUdc(udc) is { } budget
                ? Finding.Ok("budget", $"{udc}: {budget.Name}, {budget.Summary}")
                : Finding.Note("budget", $"{udc}: its endpoint list is not modelled (only dummy_udc's and the Raspberry Pi's dwc2 are); the kernel checks it when a gadget binds",
                    "if binding fails with ENOTSUPP (EBUSY since Linux 5.19), use fewer functions: dmesg names the one that found no endpoint"));
        }
    }

    // An unbound gadget is checked against the UDC it would take (the only one); a bound one the kernel has already accepted.
    // Kernel functions' needs follow from their type; a FunctionFS instance's only from its descriptors, which configfs does not show.
    private void CheckBudgets(GadgetInfo gadget)
    {
        IReadOnlyList<string> udcs = new UdcDirectory(Options, _system.Io).List();
        if (gadget.Udc is not null || udcs.Count != 1 || UdcEndpointBudget.ForUdc(udcs[0]) is not { } budget)
        {
            return;
        }
        foreach (ConfigurationInfo configuration in gadget.Configurations)
        {
            List<FunctionDefinition> functions = [.. configuration.Functions.Select(UdcEndpointBudget.KernelFunctionOf)];
            string unknown = functions.Any(f => f.IsFunctionFs) ? " (FunctionFS instances not counted: their descriptors are not in configfs)" : "";
            if (budget.FindShortfall(functions) is { } shortfall)
            {
                Add(Finding.Fail("budget", $"gadget '{gadget.Name}' ({configuration.Name}) needs more endpoints than {udcs[0]} ({budget.Name}) has: "
                    + $"{shortfall.Function.DirectoryName} finds no {shortfall.Need} endpoint left; needs: {UdcEndpointBudget.DescribeNeeds(functions.Where(f => !f.IsFunctionFs))}{unknown}",
                    $"remove a function from configs/{configuration.Name} of '{gadget.Name}' before binding it"));
            }
            else
            {
                Add(Finding.Ok("budget", $"gadget '{gadget.Name}' ({configuration.Name}) fits {udcs[0]}: {UdcEndpointBudget.DescribeNeeds(functions.Where(f => !f.IsFunctionFs))}{unknown}"));
            }
        }
    }

    private void AddMissingUdc()
    {
        string where = $"no USB device controller (UDC) in {Options.UdcClassPath}";
        if (!_system.HasDeviceTree)
        {
            ModuleState dummy = _system.Module("dummy_hcd");
            Add(Finding.Fail("udc", $"{where}: a PC or VM has no USB device port",
                dummy is ModuleState.Loaded or ModuleState.BuiltIn
                    ? "dummy_hcd is loaded but offers no UDC: reload it (sudo modprobe -r dummy_hcd && sudo modprobe dummy_hcd)"
                    : "for tests, load the virtual controller: sudo modprobe dummy_hcd (gives dummy_udc.0)"));
            return;
        }
        if (_system.IsRaspberryPi)
        {
            ModuleState dwc2 = _system.Module("dwc2");
            Add(Finding.Fail("udc", $"{where} (the Raspberry Pi's controller is dwc2, which is {Describe(dwc2)})",
                dwc2 is ModuleState.Loaded or ModuleState.BuiltIn
                    ? $"dwc2 runs as a host: put '{PiOverlayLine}' in config.txt, reboot, and use the USB-C/OTG data port"
                    : $"put '{PiOverlayLine}' in config.txt and 'modules-load=dwc2' in cmdline.txt, then reboot (sudo configfs-scripts/boards/raspberry-pi.sh apply)"));
            return;
        }
        if (_system.IsBeagleBone)
        {
            Add(Finding.Fail("udc", $"{where} (the BeagleBone's controller is musb, which is {Describe(_system.Module("musb_dsps"))})",
                "sudo modprobe musb_dsps, and check the USB0 port's dr_mode is peripheral or otg in the device tree"));
            return;
        }
        Add(Finding.Fail("udc", where,
            "enable the board's USB device controller (dwc2, dwc3, musb, chipidea…) in peripheral or otg mode with a device-tree overlay, load its driver, and reboot"));
    }

    private static string Describe(ModuleState state) => state switch
    {
        ModuleState.Loaded => "loaded",
        ModuleState.BuiltIn => "built in",
        ModuleState.Installed => "installed but not loaded",
        ModuleState.NotShipped => "not in this kernel",
        _ => "not loaded",
    };

    private void CheckGadgets()
    {
        foreach (GadgetInfo gadget in _inventory.Gadgets())
        {
            CheckBudgets(gadget);
            if (gadget.Owner.Kind == GadgetOwnerKind.Gone && gadget.Udc is null)
            {
                // A bound one was reported with its UDC already.
                Add(Finding.Fail("gadget", $"'{gadget.Name}' is left over from UsbGadget process {gadget.Owner.ProcessId}, which is gone; "
                    + "an app of that name cannot start while it exists (unless it removes stale gadgets itself)", "sudo usbgadget cleanup"));
            }
        }
        foreach (OrphanState orphan in _inventory.OrphanStates().Where(o => o.Owner.Kind == GadgetOwnerKind.Gone && o.MountPoints.Count > 0))
        {
            Add(Finding.Fail("gadget", $"FunctionFS mounts of '{orphan.Name}' are left over from UsbGadget process {orphan.Owner.ProcessId}, which is gone: "
                + string.Join(", ", orphan.MountPoints), "sudo usbgadget cleanup"));
        }
    }
}
