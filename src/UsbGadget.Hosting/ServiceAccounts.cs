using System.Globalization;

namespace UsbGadget.Hosting;

/// <summary>
/// Resolves the service user and group names of <see cref="UsbGadgetOptions.ServiceUser"/> to ids from <c>/etc/passwd</c>
/// and <c>/etc/group</c>, the files <c>useradd --system</c> and systemd-sysusers write. Reading them needs no native call,
/// which keeps the app NativeAOT-clean; a name known only to NSS (LDAP) is not a service account on a gadget board.
/// </summary>
internal sealed class ServiceAccounts(string passwdPath = "/etc/passwd", string groupPath = "/etc/group")
{
    public static ServiceAccounts System { get; } = new();

    /// <summary>The user's uid and primary gid, or null when no such user exists (or the file cannot be read).</summary>
    public (uint Uid, uint Gid)? FindUser(string name) =>
        Find<(uint, uint)>(passwdPath, name, fields => fields.Length >= 4 && TryId(fields[2], out uint uid) && TryId(fields[3], out uint gid) ? (uid, gid) : null);

    /// <summary>The group's gid, or null when no such group exists.</summary>
    public uint? FindGroup(string name) =>
        Find<uint>(groupPath, name, fields => fields.Length >= 3 && TryId(fields[2], out uint gid) ? gid : null);

    private static T? Find<T>(string path, string name, Func<string[], T?> parse) where T : struct
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        foreach (string line in lines)
        {
            string[] fields = line.Split(':');
            if (fields[0] == name)
            {
                return parse(fields);
            }
        }
        return null;
    }

    private static bool TryId(string text, out uint id) => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
