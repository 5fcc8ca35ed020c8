using System.Runtime.InteropServices;

namespace UsbGadget.Aio;

/// <summary>Owns an aio_context_t; releasing it calls io_destroy.</summary>
internal sealed class AioContextHandle : SafeHandle
{
    public AioContextHandle()
        : base(invalidHandleValue: 0, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == 0;

    public nuint Id => (nuint)handle;

    internal void SetId(nuint id) => SetHandle((nint)id);

    // io_destroy cancels what it can and then waits for every remaining block, so after it the
    // kernel no longer touches any buffer submitted through this context.
    protected override bool ReleaseHandle() => Interop.io_destroy((nuint)handle) == 0;
}
