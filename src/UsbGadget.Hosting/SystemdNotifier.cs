using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace UsbGadget.Hosting;

/// <summary>
/// Sends sd_notify(3) messages to the socket systemd names in <c>NOTIFY_SOCKET</c>, so a <c>Type=notify</c> unit
/// becomes active only when the host can see the device, not merely when the process runs.
/// </summary>
internal sealed class SystemdNotifier(ILogger<SystemdNotifier> logger)
{
    private readonly string? _socketPath = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    /// <summary>Whether the process was started by systemd with a notify socket.</summary>
    public bool IsEnabled => !string.IsNullOrEmpty(_socketPath);

    public void Notify(string state)
    {
        if (!IsEnabled)
        {
            return;
        }
        string path = _socketPath!;
        // A leading '@' names a socket in the abstract namespace.
        if (path[0] == '@')
        {
            path = "\0" + path[1..];
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            HostingLog.SystemdNotified(logger, state);
        }
        catch (SocketException e)
        {
            HostingLog.SystemdNotifyFailed(logger, state, e.Message);
        }
    }
}
