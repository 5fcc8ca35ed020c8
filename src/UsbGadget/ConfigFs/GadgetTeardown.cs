using Microsoft.Extensions.Logging;
using UsbGadget.Linux;

namespace UsbGadget.ConfigFs;

/// <summary>
/// Removes a gadget from what is on disk, not from its definition, so the same code removes our gadgets, stale ones
/// and ones made by scripts. Order (each step keeps going past failures, which are collected):
/// UDC "" → unmount FunctionFS → rmdir the mount points this process created → unlink functions from configurations → unlink os_desc's configuration link →
/// rmdir configuration strings → rmdir configurations → rmdir functions → rmdir gadget strings → rmdir gadget.
/// The os_desc link goes before the configurations because it points at one, and configfs keeps a linked item alive.
/// </summary>
internal sealed class GadgetTeardown
{
    public const string StepUnbind = "unbind UDC";
    public const string StepUnmount = "unmount FunctionFS";
    public const string StepUnlinkFunction = "unlink function from configuration";
    public const string StepUnlinkOsDesc = "unlink configuration from os_desc";
    public const string StepRemoveConfigStrings = "rmdir configuration strings";
    public const string StepRemoveConfig = "rmdir configuration";
    public const string StepRemoveFunction = "rmdir function";
    public const string StepRemoveGadgetStrings = "rmdir gadget strings";
    public const string StepRemoveGadget = "rmdir gadget";
    public const string StepRemoveStateFile = "delete state file";
    public const string StepRemoveMountPoint = "rmdir mount point";

    private readonly IConfigFsIo _io;
    private readonly IFunctionFsMounter _mounter;
    private readonly ILogger _logger;
    private readonly List<TeardownFailure> _failures = [];

    public GadgetTeardown(IConfigFsIo io, IFunctionFsMounter mounter, ILogger logger)
    {
        _io = io;
        _mounter = mounter;
        _logger = logger;
    }

    /// <summary>Removes the gadget at <paramref name="gadgetPath"/>, unmounting <paramref name="mountPoints"/> and every
    /// FunctionFS mount of its instances, removing the mount-point directories in <paramref name="createdMountPoints"/> (the ones
    /// this process made), then deletes <paramref name="stateFile"/> if given and every step succeeded.</summary>
    /// <exception cref="GadgetTeardownException">Some steps failed; all were tried.</exception>
    public void Run(string gadgetName, string gadgetPath, IEnumerable<string> mountPoints, string? stateFile, IEnumerable<string>? createdMountPoints = null)
    {
        ConfigFsLog.TeardownStarting(_logger, gadgetName);
        bool exists = _io.DirectoryExists(gadgetPath);

        if (exists) { Unbind(gadgetPath); }
        UnmountAll(exists ? gadgetPath : null, mountPoints);
        foreach (string mountPoint in createdMountPoints ?? [])
        {
            Step(StepRemoveMountPoint, mountPoint, () => RemoveMountPoint(_io, mountPoint));
        }

        if (exists)
        {
            IReadOnlyList<ConfigFsEntry> configs = Children(Path.Combine(gadgetPath, "configs"), ConfigFsEntryKind.Directory);
            foreach (ConfigFsEntry config in configs)
            {
                foreach (ConfigFsEntry link in Children(config.FullPath, ConfigFsEntryKind.Symlink))
                {
                    Step(StepUnlinkFunction, link.FullPath, () => _io.RemoveSymlink(link.FullPath));
                }
            }
            foreach (ConfigFsEntry link in Children(Path.Combine(gadgetPath, "os_desc"), ConfigFsEntryKind.Symlink))
            {
                Step(StepUnlinkOsDesc, link.FullPath, () => _io.RemoveSymlink(link.FullPath));
            }
            foreach (ConfigFsEntry config in configs)
            {
                foreach (ConfigFsEntry language in Children(Path.Combine(config.FullPath, "strings"), ConfigFsEntryKind.Directory))
                {
                    Step(StepRemoveConfigStrings, language.FullPath, () => _io.RemoveDirectory(language.FullPath));
                }
            }
            foreach (ConfigFsEntry config in configs)
            {
                Step(StepRemoveConfig, config.FullPath, () => _io.RemoveDirectory(config.FullPath));
            }
            foreach (ConfigFsEntry function in Children(Path.Combine(gadgetPath, "functions"), ConfigFsEntryKind.Directory))
            {
                RemoveUserGroups(function.FullPath);
                Step(StepRemoveFunction, function.FullPath, () => _io.RemoveDirectory(function.FullPath));
            }
            foreach (ConfigFsEntry language in Children(Path.Combine(gadgetPath, "strings"), ConfigFsEntryKind.Directory))
            {
                RemoveUserGroups(language.FullPath);
                Step(StepRemoveGadgetStrings, language.FullPath, () => _io.RemoveDirectory(language.FullPath));
            }
            Step(StepRemoveGadget, gadgetPath, () => _io.RemoveDirectory(gadgetPath));
        }

        // After a partial failure the state file stays: once this process is gone, the next run sees the remains as stale
        // (ours, removable) instead of as a gadget someone else made.
        if (stateFile is not null && _failures.Count == 0)
        {
            Step(StepRemoveStateFile, stateFile, () => _io.DeleteFile(stateFile));
        }

        if (_failures.Count > 0)
        {
            var exception = new GadgetTeardownException(gadgetName, _failures.ToArray());
            ConfigFsLog.TeardownFailed(_logger, exception, gadgetName, _failures.Count);
            throw exception;
        }
        ConfigFsLog.TeardownCompleted(_logger, gadgetName);
    }

    private void Unbind(string gadgetPath)
    {
        string udcFile = Path.Combine(gadgetPath, "UDC");
        string? udc = null;
        try
        {
            udc = _io.EntryExists(udcFile) ? _io.ReadAttribute(udcFile).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(StepUnbind, udcFile, e);
            return;
        }
        if (!string.IsNullOrEmpty(udc))
        {
            // A lone newline: configfs strips it and an empty name means unbind. A zero-length write never reaches the kernel.
            Step(StepUnbind, udcFile, () => WriteUnbind(udcFile));
        }
    }

    private void WriteUnbind(string udcFile)
    {
        try
        {
            _io.WriteAttribute(udcFile, "\n"u8);
        }
        catch (IOException e) when (ConfigFsErrors.ErrnoOf(e) == Errno.ENODEV)
        {
            // Already unbound (the UDC went away, or another process unbound it meanwhile).
        }
    }

    private void UnmountAll(string? gadgetPath, IEnumerable<string> mountPoints)
    {
        var targets = new List<string>(mountPoints);
        IReadOnlyList<MountEntry> table;
        try
        {
            table = _mounter.ReadMountTable();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(StepUnmount, "mount table", e);
            table = [];
        }
        if (gadgetPath is not null)
        {
            try
            {
                var instances = GadgetTree.FunctionFsInstances(_io, gadgetPath).ToHashSet(StringComparer.Ordinal);
                targets.AddRange(table.Where(m => m.IsFunctionFs && instances.Contains(m.Source)).Select(m => m.MountPoint));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail("list", Path.Combine(gadgetPath, "functions"), e);
            }
        }
        var mounted = table.Where(m => m.IsFunctionFs).Select(m => m.MountPoint).ToHashSet(StringComparer.Ordinal);
        foreach (string mountPoint in targets.Distinct(StringComparer.Ordinal))
        {
            if (!mounted.Contains(mountPoint))
            {
                continue;
            }
            Step(StepUnmount, mountPoint, () =>
            {
                if (!_mounter.Unmount(mountPoint))
                {
                    ConfigFsLog.UnmountDetached(_logger, mountPoint);
                }
            });
        }
    }

    /// <summary>Removes an empty mount-point directory (after its unmount); one that is already gone is fine.</summary>
    public static void RemoveMountPoint(IConfigFsIo io, string mountPoint)
    {
        if (io.DirectoryExists(mountPoint))
        {
            io.RemoveDirectory(mountPoint);
        }
    }

    // Groups a user made inside a function (mass_storage lun.1) or a language (custom strings) must go before their parent.
    // Default groups (lun.0, os_desc) refuse rmdir; those refusals are expected and not failures.
    private void RemoveUserGroups(string path)
    {
        foreach (ConfigFsEntry child in Children(path, ConfigFsEntryKind.Directory).Reverse())
        {
            try
            {
                _io.RemoveDirectory(child.FullPath);
                ConfigFsLog.TeardownStep(_logger, "rmdir group", child.FullPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A default group; it goes away with its parent.
            }
        }
    }

    private IReadOnlyList<ConfigFsEntry> Children(string path, ConfigFsEntryKind kind)
    {
        try
        {
            return _io.DirectoryExists(path) ? _io.List(path).Where(e => e.Kind == kind).ToList() : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail("list", path, e);
            return [];
        }
    }

    private void Step(string step, string path, Action action)
    {
        try
        {
            action();
            ConfigFsLog.TeardownStep(_logger, step, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigFsException)
        {
            Fail(step, path, e);
        }
    }

    private void Fail(string step, string path, Exception exception)
    {
        Exception reported = exception is ConfigFsException ? exception : ConfigFsErrors.IoFailed(step, path, exception);
        _failures.Add(new TeardownFailure(step, path, reported));
        ConfigFsLog.TeardownStepFailed(_logger, step, path, reported.Message);
    }
}
