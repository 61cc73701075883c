using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ProCo.Tests;

/// <summary>
/// Real PostgreSQL and Redis servers from Debian's packages (postgresql, redis-server; test.sh
/// installs them when missing), started once per test process on loopback ports with their files
/// in a temporary folder, and stopped when the process exits. The test runner may end a test
/// process without letting it clean up: each server's pid is written in a folder named after the
/// test process, and the next test process stops the servers of test processes that are gone.
/// No containers, no stand-ins.
/// </summary>
internal static class LocalServers
{
    private static readonly Lazy<PostgresServer> Postgres = new(() => { SweepOrphans(); return PostgresServer.Start(); });
    private static readonly Lazy<RedisServer> Redis = new(() => { SweepOrphans(); return RedisServer.Start(); });
    private const string OwnerPrefix = "proco-servers-";

    /// <summary>This test process's folder of server files and pids.</summary>
    public static string OwnFolder { get; } = Directory.CreateDirectory(
        Path.Combine(Path.GetTempPath(), $"{OwnerPrefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}")).FullName;

    /// <summary>Remembers a server this test process started.</summary>
    internal static void Own(Process server)
    {
        lock (Postgres) File.AppendAllText(Path.Combine(OwnFolder, "pids"), server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
    }

    // Stops the servers of earlier test processes that no longer exist, and removes their folders.
    private static void SweepOrphans()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), OwnerPrefix + "*"))
        {
            var name = Path.GetFileName(folder)[OwnerPrefix.Length..];
            if (!int.TryParse(name.Split('-')[0], out var owner) || owner == Environment.ProcessId || Alive(owner)) continue;
            var pids = Path.Combine(folder, "pids");
            if (File.Exists(pids))
            {
                foreach (var line in File.ReadAllLines(pids))
                {
                    if (!int.TryParse(line, out var pid)) continue;
                    try
                    {
                        using var server = Process.GetProcessById(pid);
                        if (server.ProcessName is "postgres" or "redis-server") server.Kill();
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                    }
                }
            }
            try { Directory.Delete(folder, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A new, empty database on the shared PostgreSQL server: its connection string.</summary>
    public static string NewPostgresDatabase() => Postgres.Value.CreateDatabase();

    /// <summary>The shared Redis server's configuration string (host:port).</summary>
    public static string RedisConfiguration => Redis.Value.Configuration;

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    internal static Process StartProcess(string file, IEnumerable<string> args, System.Text.StringBuilder log)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static void Run(string file, params string[] args)
    {
        var log = new System.Text.StringBuilder();
        using var process = StartProcess(file, args, log);
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{log}");
    }

    // PostgreSQL refuses to run as root: as root, its programs run as the package's postgres user.
    internal static bool IsRoot => Environment.UserName == "root";

    internal static (string File, string[] Args) AsServiceUser(string file, params string[] args) =>
        IsRoot ? ("setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", file, .. args]) : (file, args);
}

/// <summary>PostgreSQL (Debian's postgresql package) in a temporary cluster, trusted on 127.0.0.1 only.</summary>
internal sealed class PostgresServer
{
    private readonly Process _process;
    private readonly string _folder;
    private readonly System.Text.StringBuilder _log;
    private int _databases;

    private PostgresServer(Process process, string folder, int port, System.Text.StringBuilder log)
    {
        _process = process;
        _folder = folder;
        _log = log;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    public int Port { get; }

    public string Admin(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false;Timeout=30";

    public static PostgresServer Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL is not installed: install Debian's 'postgresql' package (./test.sh does it).");
        var folder = Path.Combine(LocalServers.OwnFolder, "postgres");
        var data = Path.Combine(folder, "data");
        Directory.CreateDirectory(folder);
        if (LocalServers.IsRoot) LocalServers.Run("chown", "postgres:postgres", folder);
        var (initdb, initArgs) = LocalServers.AsServiceUser(Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8");
        LocalServers.Run(initdb, initArgs);
        var port = LocalServers.FreePort();
        var log = new System.Text.StringBuilder();
        // Durability is not what these tests look at: no fsync makes creating databases fast.
        var (postgres, args) = LocalServers.AsServiceUser(Path.Combine(bin, "postgres"), "-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={folder}", "-c", "fsync=off", "-c", "full_page_writes=off",
            "-c", "synchronous_commit=off", "-c", "max_connections=300");
        var process = LocalServers.StartProcess(postgres, args, log);
        LocalServers.Own(process);
        var server = new PostgresServer(process, folder, port, log);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var connection = new NpgsqlConnection(server.Admin());
                connection.Open();
                return server;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(200);
            }
            catch (NpgsqlException e)
            {
                string output;
                lock (log) output = log.ToString();
                throw new InvalidOperationException($"PostgreSQL did not start: {e.Message}\n{output}", e);
            }
        }
    }

    public string CreateDatabase()
    {
        var name = $"proco_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..8]}";
        using var connection = new NpgsqlConnection(Admin());
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        command.ExecuteNonQuery();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    private void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
            // Its backends notice the postmaster's end a moment later and leave their last files.
            for (var attempt = 0; attempt < 10 && Directory.Exists(_folder); attempt++)
            {
                try
                {
                    Directory.Delete(_folder, recursive: true);
                }
                catch (IOException)
                {
                    Thread.Sleep(200);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
        }
    }
}

/// <summary>Redis (Debian's redis-server package) on a loopback port, without persistence.</summary>
internal sealed class RedisServer
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Configuration = $"127.0.0.1:{port}";
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        };
    }

    public string Configuration { get; }

    public static RedisServer Start()
    {
        if (!File.Exists("/usr/bin/redis-server"))
            throw new InvalidOperationException("Redis is not installed: install Debian's 'redis-server' package (./test.sh does it).");
        var port = LocalServers.FreePort();
        var log = new System.Text.StringBuilder();
        var process = LocalServers.StartProcess("/usr/bin/redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", LocalServers.OwnFolder], log);
        LocalServers.Own(process);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                using var stream = client.GetStream();
                stream.Write("PING\r\n"u8);
                var buffer = new byte[16];
                var read = stream.Read(buffer);
                if (System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal)) return new RedisServer(process, port);
            }
            catch (SocketException)
            {
            }
            if (process.HasExited) break;
            Thread.Sleep(100);
        }
        lock (log) throw new InvalidOperationException("Redis did not start:\n" + log);
    }
}
