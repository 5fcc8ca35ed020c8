using Microsoft.Extensions.Logging.Abstractions;
using UsbGadget.ConfigFs;

namespace UsbGadget.Cli;

/// <summary>The commands: each writes its report to <c>Out</c>, problems to <c>Error</c>, and returns the exit code.</summary>
internal sealed class Commands
{
    /// <summary>Nothing wrong.</summary>
    public const int Success = 0;

    /// <summary>Something must be fixed (doctor), or the command could not do its work; the output says what and how.</summary>
    public const int Problem = 1;

    /// <summary>The command line is wrong.</summary>
    public const int Usage = 2;

    private readonly HostSystem _system;
    private readonly TextWriter _out;
    private readonly TextWriter _error;

    public Commands(HostSystem system, TextWriter output, TextWriter error)
    {
        _system = system;
        _out = output;
        _error = error;
    }

    private ConfigFsOptions Options => _system.Paths.ConfigFs;

    public int Doctor()
    {
        IReadOnlyList<Finding> findings = new Doctor(_system).Run();
        // A fixed column (the longest topic, "device tree") keeps the report the same shape on every machine.
        const int TopicWidth = 11;
        foreach (Finding finding in findings)
        {
            _out.WriteLine($"{finding.Label,-4}  {finding.Topic.PadRight(TopicWidth)}  {finding.Text}");
            if (finding.Fix is not null)
            {
                _out.WriteLine($"{"",-4}  {"".PadRight(TopicWidth)}  fix: {finding.Fix}");
            }
        }
        int failures = findings.Count(f => f.Severity == Severity.Fail);
        int warnings = findings.Count(f => f.Severity == Severity.Warn);
        _out.WriteLine(failures == 0
            ? $"ready: nothing stands in the way of a gadget{(warnings == 0 ? "" : $" ({warnings} warning{(warnings == 1 ? "" : "s")})")}"
            : $"{failures} problem{(failures == 1 ? "" : "s")} to fix before a gadget can run");
        return failures == 0 ? Success : Problem;
    }

    public int List()
    {
        if (!EnsureConfigFs("list"))
        {
            return Problem;
        }
        var inventory = new GadgetInventory(_system);
        IReadOnlyList<GadgetInfo> gadgets = inventory.Gadgets();
        IReadOnlyList<OrphanState> orphans = inventory.OrphanStates();
        if (gadgets.Count == 0 && orphans.Count == 0)
        {
            _out.WriteLine($"no gadgets in {Options.GadgetsPath}");
            return Success;
        }
        foreach (GadgetInfo gadget in gadgets)
        {
            string binding = gadget.Udc is null ? "unbound" : $"bound to {gadget.Udc}{(gadget.UdcState is null ? "" : $" ({gadget.UdcState})")}";
            _out.WriteLine($"{gadget.Name}  {GadgetInventory.Hex(gadget.VendorId)}:{GadgetInventory.Hex(gadget.ProductId)}  {binding}  {gadget.Owner}");
            int width = gadget.Functions.Count == 0 ? 0 : gadget.Functions.Max(f => f.Name.Length);
            foreach (FunctionInfo function in gadget.Functions)
            {
                _out.WriteLine($"  function  {function.Name.PadRight(width)}  {DescribeFunction(function)}".TrimEnd());
            }
            foreach (ConfigurationInfo configuration in gadget.Configurations)
            {
                _out.WriteLine($"  config    {configuration.Name}: {(configuration.Functions.Count == 0 ? "no functions" : string.Join(", ", configuration.Functions))}");
            }
        }
        foreach (OrphanState orphan in orphans)
        {
            _out.WriteLine($"{orphan.Name}  (no gadget directory; state file only)  {orphan.Owner}"
                + (orphan.MountPoints.Count == 0 ? "" : $"  FunctionFS still mounted at {string.Join(", ", orphan.MountPoints)}"));
        }
        if (gadgets.Any(g => g.Owner.Kind == GadgetOwnerKind.Gone) || orphans.Any(o => o.Owner.Kind == GadgetOwnerKind.Gone))
        {
            _out.WriteLine("stale gadgets are listed: remove them with 'sudo usbgadget cleanup'");
        }
        return Success;
    }

    private static string DescribeFunction(FunctionInfo function)
    {
        if (!function.IsFunctionFs)
        {
            return "kernel function";
        }
        if (function.MountPoint is null)
        {
            return "FunctionFS, not mounted";
        }
        return function.Endpoints is > 0
            ? $"FunctionFS at {function.MountPoint}, descriptors written, {function.Endpoints} endpoint{(function.Endpoints == 1 ? "" : "s")}"
            : $"FunctionFS at {function.MountPoint}, no descriptors written yet";
    }

    public int Cleanup(bool dryRun)
    {
        uint euid = _system.EffectiveUserId;
        if (!dryRun && euid != 0)
        {
            _error.WriteLine($"usbgadget cleanup: removing gadgets and unmounting FunctionFS needs root (effective user id {euid}); run 'sudo usbgadget cleanup', or 'usbgadget cleanup --dry-run' to see what it would remove");
            return Problem;
        }
        var manager = new GadgetManager(Options, _system.Mounter, _system.Io, NullLogger.Instance);
        IReadOnlyList<StaleGadget> stale = manager.FindStale();
        int failed = 0;
        foreach (StaleGadget gadget in stale)
        {
            string parts = string.Join(", ", new[] { gadget.GadgetPath }.Concat(gadget.MountPoints).OfType<string>());
            string what = $"'{gadget.Name}' of UsbGadget process {gadget.OwnerProcessId}, which is gone ({(parts.Length == 0 ? "its state file" : parts)})";
            if (dryRun)
            {
                _out.WriteLine($"would remove {what}");
                continue;
            }
            try
            {
                manager.RemoveStale(gadget);
                RemoveEmptyMountPoints(gadget.MountPoints);
                _out.WriteLine($"removed {what}");
            }
            catch (GadgetTeardownException e)
            {
                failed++;
                _error.WriteLine($"usbgadget cleanup: removing '{gadget.Name}' failed at {e.Failures.Count} step(s); every other step ran:");
                foreach (TeardownFailure failure in e.Failures)
                {
                    _error.WriteLine($"  {failure.Exception.Message}");
                }
            }
        }

        // What it does not touch, and why: a live process's gadget, and gadgets UsbGadget did not make.
        foreach (GadgetInfo gadget in new GadgetInventory(_system).Gadgets().Where(g => g.Owner.Kind != GadgetOwnerKind.Gone))
        {
            _out.WriteLine(gadget.Owner.Kind is GadgetOwnerKind.Running or GadgetOwnerKind.Service
                ? $"left alone: '{gadget.Name}' ({gadget.Owner})"
                : $"left alone: '{gadget.Name}' (no state file, so not known to be stale; if nothing serves it: sudo GADGET_NAME={gadget.Name} configfs-scripts/usb-gadget.sh teardown)");
        }
        if (stale.Count == 0)
        {
            _out.WriteLine("nothing to clean up: no gadget or FunctionFS mount left by a UsbGadget process that is gone");
        }
        return failed == 0 ? Success : Problem;
    }

    // The state file does not say which mount-point directories the dead process made, so the library's stale teardown
    // leaves them. Once unmounted they are empty directories under the mount root; rmdir takes only empty ones.
    private void RemoveEmptyMountPoints(IEnumerable<string> mountPoints)
    {
        foreach (string mountPoint in mountPoints)
        {
            try
            {
                GadgetTeardown.RemoveMountPoint(_system.Io, mountPoint);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not empty, or busy: somebody else's business now.
            }
        }
    }

    private bool EnsureConfigFs(string command)
    {
        if (_system.Io.DirectoryExists(Options.GadgetsPath))
        {
            return true;
        }
        _error.WriteLine(_system.ConfigFsMounted
            ? $"usbgadget {command}: {Options.GadgetsPath} is missing: the gadget framework is not loaded; fix: sudo modprobe libcomposite"
            : $"usbgadget {command}: configfs is not mounted at {Options.ConfigFsRoot}; fix: sudo mount -t configfs none {Options.ConfigFsRoot}");
        return false;
    }
}
