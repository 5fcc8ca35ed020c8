#!/usr/bin/python3
"""A bounded TCP echo between two addresses of this VM (one end in a network namespace).

Usage: net_echo.py server ADDRESS PORT     serves one connection, echoing until the peer closes, then exits
       net_echo.py client ADDRESS PORT BYTES SEED
The client sends BYTES seeded random bytes, reads them back, and prints JSON with the byte count and time.
"""
import json, random, socket, sys, time

mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "server":
    with socket.create_server((address, port)) as server:
        server.settimeout(60)
        print("listening", flush=True)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(60)
            while data := conn.recv(65536):
                conn.sendall(data)
    sys.exit(0)

count, seed = int(sys.argv[4]), int(sys.argv[5])
payload = random.Random(seed).randbytes(count)
deadline = time.monotonic() + 30
while True:
    try:
        sock = socket.create_connection((address, port), timeout=5)
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.3)
start = time.monotonic()
with sock:
    sock.settimeout(60)
    received = bytearray()
    for offset in range(0, count, 16384):
        sock.sendall(payload[offset:offset + 16384])
        while len(received) < min(offset + 16384, count):
            received += sock.recv(65536)
    sock.shutdown(socket.SHUT_WR)
    while chunk := sock.recv(65536):
        received += chunk
seconds = time.monotonic() - start
if bytes(received) != payload:
    print(f"echo differs: sent {count} bytes, got {len(received)}", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"bytes": count, "seconds": round(seconds, 3)}))
