using System.Runtime.InteropServices;

namespace UsbGadget.Aio;

/// <summary>Owns an aio_context_t and its iocb array; releasing it calls io_destroy, then frees the array.</summary>
internal sealed unsafe class AioContextHandle : SafeHandle
{
    private void* _iocbs;

    public AioContextHandle()
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public nuint Id => (nuint)handle;

    internal void SetId(nuint id) => SetHandle((nint)id);

    /// <summary>The context's iocb array: freed only once io_destroy has returned, as the kernel may read it until then.</summary>
    internal void OwnIocbs(void* iocbs) => _iocbs = iocbs;

    // io_destroy cancels what it can and then waits for every remaining block, so after it the
    // kernel no longer touches any buffer or iocb submitted through this context. If it fails, both stay.
    protected override bool ReleaseHandle()
    {
        if (Interop.io_destroy((nuint)handle) != 0)
        {
            return false;
        }

        NativeMemory.AlignedFree(_iocbs);
        _iocbs = null;
        return true;
    }
}
