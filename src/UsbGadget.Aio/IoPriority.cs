namespace UsbGadget.Aio;

/// <summary>I/O scheduling classes (include/uapi/linux/ioprio.h).</summary>
public enum IoPriorityClass
{
    /// <summary>IOPRIO_CLASS_NONE.</summary>
    None = 0,
    /// <summary>IOPRIO_CLASS_RT: real time; needs CAP_SYS_ADMIN or CAP_SYS_NICE.</summary>
    RealTime = 1,
    /// <summary>IOPRIO_CLASS_BE: best effort.</summary>
    BestEffort = 2,
    /// <summary>IOPRIO_CLASS_IDLE.</summary>
    Idle = 3,
}

/// <summary>Builds values for <see cref="AioBlock.Priority"/>.</summary>
public static class IoPriority
{
    /// <summary>IOPRIO_PRIO_VALUE(class, level): the class in bits 13-15, the level below.</summary>
    /// <param name="priorityClass">The scheduling class.</param>
    /// <param name="level">0 (highest) to 7 (lowest) for real-time and best-effort.</param>
    /// <returns>The aio_reqprio value.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The class or the level is out of range.</exception>
    public static ushort Create(IoPriorityClass priorityClass, int level)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan((int)priorityClass, 0, nameof(priorityClass));
        ArgumentOutOfRangeException.ThrowIfGreaterThan((int)priorityClass, 3, nameof(priorityClass));
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 7);
        return (ushort)(((int)priorityClass << 13) | level);
    }
}
