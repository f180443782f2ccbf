using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace Phoenix.Simulator.Cli
{
    /// <summary>
    /// `phoenix-sim serve --port-file FILE [--watch-pid PID]`: the fake host's resident simulator. The fake host's
    /// qm/pvesm/pvesh (tests/FakeHost/sim-client.sh) hand each command to it over loopback TCP instead of starting
    /// .NET for every call, which cost the host ~170 ms of CPU a command that a real node does not spend (its Perl
    /// start is the benchmark's latency, a wait). Each command still runs as the one-shot process runs it
    /// (<see cref="Program.RunCommand"/>: a simulator made afresh from the state folder, the audit line, real file
    /// locks, which exclude each other between threads as between processes), each on its own thread, so commands
    /// run side by side and their latency waits overlap.
    /// <para>
    /// It listens on 127.0.0.1 on a free port and writes "PORT TOKEN\n" to the port file (mode 0600): a request
    /// without the token is refused, so only who can read that file (root) has commands run. The state folder and
    /// the guest runner are the server's (PHOENIX_SIM_STATE, PHOENIX_SIM_GUEST_RUNNER); a request carries the rest.
    /// With --watch-pid it exits when that process (the fake host's supervisor) is gone.
    /// </para>
    /// <para>
    /// The protocol, fields ending in NUL: a command is <c>run TOKEN CALLER-PID NODE DROP-KILLS ARGC ARG...</c>
    /// (NODE empty for a lone node, DROP-KILLS 1 when a dropped connection kills the caller's sshd session).
    /// When the command reads its stdin the server answers <c>stdin ID\n</c>, and the client sends it on a second
    /// connection, <c>stdin TOKEN ID</c> then the bytes until it closes. The answer is
    /// <c>exit CODE OUT-LENGTH ERR-LENGTH MODE\n</c>, then stdout's bytes, then stderr's; MODE <c>r</c> says both are
    /// small and free of NUL (a shell's `read -N` can take them), <c>h</c> otherwise. A command whose client goes
    /// away runs to its end, as the one-shot process did when its SSH session dropped.
    /// </para>
    /// </summary>
    internal static class SimServer
    {
        // The largest stream the client reads with bash's read builtin (a read(2) per byte on a socket); beyond, it runs head -c.
        private const int ShellReadLimit = 16384;
        private static readonly Encoding Utf8 = new UTF8Encoding(false);
        private static readonly ConcurrentDictionary<string, System.Threading.Tasks.TaskCompletionSource<(Socket Socket, byte[] Read)>> StdinWaits =
            new ConcurrentDictionary<string, System.Threading.Tasks.TaskCompletionSource<(Socket Socket, byte[] Read)>>();
        private static long _nextId;

        public static int Serve(string state, string? runnerType, List<string> args)
        {
            string? portFile = null;
            var watchPid = 0;
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i] == "--port-file" && i + 1 < args.Count) portFile = args[++i];
                else if (args[i] == "--watch-pid" && i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out watchPid)) i++;
                else
                {
                    Console.Error.Write($"phoenix-sim serve: unknown option '{args[i]}' (usage: phoenix-sim serve --port-file FILE [--watch-pid PID])\n");
                    return 2;
                }
            }
            if (portFile == null)
            {
                Console.Error.Write("phoenix-sim serve: --port-file is required\n");
                return 2;
            }

            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start(1024);
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            WritePrivate(portFile, $"{port.ToString(CultureInfo.InvariantCulture)} {token}\n");
            if (watchPid > 0) new Thread(() => Watch(watchPid)) { IsBackground = true, Name = "watch" }.Start();
            // .NET only raises ProcessExit on SIGTERM and waits for Main to return, which this loop never does: stop at once,
            // ending the commands still running (the supervisor stops the server when the fake host stops).
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => Environment.Exit(0));
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => Environment.Exit(0));

            while (true)
            {
                var socket = listener.AcceptSocket();
                new Thread(() => Serve(socket, state, runnerType, token)) { IsBackground = true, Name = "command" }.Start();
            }
        }

        // The port file appears whole (a rename), readable by its owner only from its creation.
        private static void WritePrivate(string path, string text)
        {
            var tmp = path + ".tmp";
            File.Delete(tmp);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var f = new FileStream(tmp, options))
            {
                var bytes = Utf8.GetBytes(text);
                f.Write(bytes, 0, bytes.Length);
            }
            File.Move(tmp, path, overwrite: true);
        }

        private static void Watch(int pid)
        {
            while (Directory.Exists("/proc/" + pid.ToString(CultureInfo.InvariantCulture))) Thread.Sleep(500);
            Environment.Exit(0);
        }

        private static void Serve(Socket socket, string state, string? runnerType, string token)
        {
            var handedOver = false;
            try
            {
                using var stream = new NetworkStream(socket, ownsSocket: false);
                var reader = new FieldReader(stream);
                var kind = reader.Next();
                if (kind == null || !CryptographicOperations.FixedTimeEquals(Utf8.GetBytes(reader.Next() ?? ""), Utf8.GetBytes(token))) return;
                if (kind == "stdin")
                {
                    // The stdin of a waiting command: handed over with what was read past the header.
                    var id = reader.Next();
                    if (id != null && StdinWaits.TryRemove(id, out var wait)) handedOver = wait.TrySetResult((socket, reader.Rest()));
                    return;
                }
                if (kind != "run") return;
                var callerPid = int.Parse(reader.Next() ?? "0", NumberStyles.None, CultureInfo.InvariantCulture);
                var node = reader.Next() ?? "";
                var dropKills = reader.Next() == "1";
                var argc = int.Parse(reader.Next() ?? "0", NumberStyles.None, CultureInfo.InvariantCulture);
                var argv = new List<string>(argc);
                for (var i = 0; i < argc; i++) argv.Add(reader.Next() ?? throw new EndOfStreamException("the request ended early"));

                Program.Reply reply;
                try
                {
                    reply = Program.RunCommand(state, node, runnerType, dropKills, callerPid, argv, () => ReadStdin(socket, stream));
                }
                catch (Exception e) when (!(e is OutOfMemoryException))
                {
                    reply = new Program.Reply(255, "", $"phoenix-sim: internal error: {e.GetType().Name}: {e.Message}\n");
                }
                var small = reply.StdOut.Length <= ShellReadLimit && reply.StdErr.Length <= ShellReadLimit &&
                            Array.IndexOf(reply.StdOut, (byte)0) < 0 && Array.IndexOf(reply.StdErr, (byte)0) < 0;
                var head = Utf8.GetBytes(string.Format(CultureInfo.InvariantCulture, "exit {0} {1} {2} {3}\n",
                    reply.ExitCode, reply.StdOut.Length, reply.StdErr.Length, small ? "r" : "h"));
                var all = new byte[head.Length + reply.StdOut.Length + reply.StdErr.Length];
                head.CopyTo(all, 0);
                reply.StdOut.CopyTo(all, head.Length);
                reply.StdErr.CopyTo(all, head.Length + reply.StdOut.Length);
                stream.Write(all, 0, all.Length);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException || e is SocketException || e is FormatException || e is OverflowException || e is ObjectDisposedException)
            {
                // The client went away (killed with its session, as the chaos tests do) or sent nonsense: the
                // command's effects stay, as they did when the one-shot process lost its SSH channel.
            }
            finally
            {
                if (!handedOver) socket.Dispose();
            }
        }

        // Asks the client for its stdin (a command that never asks never reads it, as the one-shot process did not)
        // and waits for the second connection that brings it. A client gone meanwhile gives an empty stdin, as an
        // SSH channel closed under the one-shot process gave it end-of-file.
        private static byte[]? ReadStdin(Socket socket, NetworkStream stream)
        {
            var id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
            var wait = new System.Threading.Tasks.TaskCompletionSource<(Socket Socket, byte[] Read)>(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously);
            StdinWaits[id] = wait;
            var consumed = false;
            try
            {
                var ask = Utf8.GetBytes($"stdin {id}\n");
                stream.Write(ask, 0, ask.Length);
                while (!wait.Task.Wait(200))
                {
                    // Readable with nothing to read: the client closed its end.
                    if (socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0) return Array.Empty<byte>();
                }
                var (input, first) = wait.Task.Result;
                consumed = true;
                using (input)
                {
                    using var ms = new MemoryStream();
                    ms.Write(first, 0, first.Length);
                    using var data = new NetworkStream(input, ownsSocket: false);
                    data.CopyTo(ms);
                    return ms.ToArray();
                }
            }
            catch (Exception e) when (e is IOException || e is SocketException)
            {
                return Array.Empty<byte>();
            }
            finally
            {
                // A stdin connection handed over after the wait was given up is closed unread.
                StdinWaits.TryRemove(id, out _);
                if (!wait.TrySetCanceled() && !consumed) wait.Task.Result.Socket.Dispose();
            }
        }

        /// <summary>NUL-ended UTF-8 fields from a stream, keeping what it read past the last field.</summary>
        private sealed class FieldReader
        {
            private readonly Stream _stream;
            private readonly byte[] _buffer = new byte[65536];
            private int _start;
            private int _end;

            public FieldReader(Stream stream) => _stream = stream;

            public string? Next()
            {
                var field = new MemoryStream();
                while (true)
                {
                    var nul = Array.IndexOf(_buffer, (byte)0, _start, _end - _start);
                    if (nul >= 0)
                    {
                        field.Write(_buffer, _start, nul - _start);
                        _start = nul + 1;
                        return Utf8.GetString(field.GetBuffer(), 0, (int)field.Length);
                    }
                    field.Write(_buffer, _start, _end - _start);
                    _start = _end = 0;
                    var n = _stream.Read(_buffer, 0, _buffer.Length);
                    if (n == 0) return null;
                    _end = n;
                }
            }

            public byte[] Rest() => _buffer.AsSpan(_start, _end - _start).ToArray();
        }
    }
}
