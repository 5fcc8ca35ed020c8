using System.Globalization;
using System.Text;

namespace UsbGadget.Testing;

/// <summary>
/// Writes a "newc" cpio archive, the format the kernel unpacks as initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst). Uncompressed on purpose:
/// decompressing under software emulation costs more boot time than reading a few MB.
/// </summary>
internal sealed class CpioWriter : IDisposable
{
    private const int FileType = 0x8000;
    private const int DirectoryType = 0x4000;
    private readonly Stream _stream;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _inode = 1;
    private bool _finished;

    public CpioWriter(Stream stream) => _stream = stream;

    public void AddDirectory(string name, int permissions = 0x1ED /* 0755 */) =>
        WriteEntry(name, DirectoryType | permissions, nlink: 2, ReadOnlySpan<byte>.Empty);

    public void AddFile(string name, ReadOnlySpan<byte> content, int permissions = 0x1A4 /* 0644 */) =>
        WriteEntry(name, FileType | permissions, nlink: 1, content);

    /// <summary>Writes the trailer entry that ends the archive.</summary>
    public void Finish()
    {
        if (!_finished)
        {
            WriteHeader("TRAILER!!!", mode: 0, nlink: 1, size: 0, inode: 0);
            _finished = true;
        }
    }

    public void Dispose() => Finish();

    private void WriteEntry(string name, int mode, int nlink, ReadOnlySpan<byte> content)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        name = name.TrimStart('/');
        if (name.Length == 0 || !_names.Add(name))
        {
            throw new ArgumentException($"Invalid or duplicate cpio entry name '{name}'.", nameof(name));
        }

        WriteHeader(name, mode, nlink, content.Length, _inode++);
        _stream.Write(content);
        Pad(content.Length);
    }

    private void WriteHeader(string name, int mode, int nlink, int size, int inode)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder(110);
        header.Append("070701");
        int[] fields =
        [
            inode, mode, 0 /* uid */, 0 /* gid */, nlink, 0 /* mtime: deterministic */, size,
            0, 0, 0, 0 /* dev and rdev major/minor */, nameBytes.Length + 1, 0 /* check */,
        ];
        foreach (int field in fields)
        {
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        }

        _stream.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _stream.Write(nameBytes);
        _stream.WriteByte(0);

        // Header (110 bytes) plus name and its NUL are padded to a multiple of 4.
        Pad(110 + nameBytes.Length + 1);
    }

    private void Pad(int length)
    {
        int padding = (4 - (length % 4)) % 4;
        for (int i = 0; i < padding; i++)
        {
            _stream.WriteByte(0);
        }
    }
}
