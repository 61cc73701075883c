using System.Net;

namespace ProCo.Web.Hosting;

/// <summary>
/// Who can reach the server: the addresses it listens on and the host names it answers to. A server
/// on loopback only may run without accounts and answers localhost, 127.0.0.1 and [::1]; one that
/// other machines can reach must have accounts on and its public host names configured.
/// </summary>
public static class Exposure
{
    /// <summary>The host names a loopback server answers to when none are configured.</summary>
    public static readonly IReadOnlyList<string> LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>The URLs the server will listen on, from <c>urls</c>, <c>http_ports</c>/<c>https_ports</c> and Kestrel endpoints, or the default.</summary>
    public static IReadOnlyList<string> ListenUrls(IConfiguration configuration) =>
        ConfiguredUrls(configuration) is { Count: > 0 } urls ? urls : [WebApp.DefaultUrl];

    /// <summary>The listen URLs configuration names (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>, Kestrel endpoints); empty when none.</summary>
    public static IReadOnlyList<string> ConfiguredUrls(IConfiguration configuration)
    {
        var urls = new List<string>();
        urls.AddRange(Split(configuration["urls"]));
        urls.AddRange(Split(configuration["http_ports"]).Select(p => $"http://*:{p}"));
        urls.AddRange(Split(configuration["https_ports"]).Select(p => $"https://*:{p}"));
        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        return urls;
    }

    private static string[] Split(string? value) => (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True when only this machine can connect to <paramref name="url"/> (localhost, 127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(string url)
    {
        var host = HostOf(url);
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }

    // The authority of a listen URL: what follows the scheme, up to the path.
    private static string AuthorityOf(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        return end >= 0 ? rest[..end] : rest;
    }

    // The host of a listen URL, without the brackets of an IPv6 address.
    private static string HostOf(string url)
    {
        var authority = AuthorityOf(url);
        if (authority.StartsWith('[')) return authority[1..Math.Max(1, authority.IndexOf(']', StringComparison.Ordinal))];
        var colon = authority.LastIndexOf(':');
        return colon >= 0 ? authority[..colon] : authority;
    }

    // The port of a listen URL, as written (empty when it names none).
    private static string PortOf(string url)
    {
        var authority = AuthorityOf(url);
        var colon = authority.LastIndexOf(':');
        return colon > authority.LastIndexOf(']') ? authority[(colon + 1)..] : "";
    }

    /// <summary>The configured host names (<c>AllowedHosts</c>), or null when none are (or "*").</summary>
    public static IReadOnlyList<string>? ConfiguredHosts(IConfiguration configuration)
    {
        var hosts = Split(configuration["AllowedHosts"]);
        return hosts.Length == 0 || hosts.Contains("*") ? null : hosts;
    }

    /// <summary>The host names the server answers to.</summary>
    public static IReadOnlyList<string> AllowedHosts(IConfiguration configuration) => ConfiguredHosts(configuration) ?? LoopbackHosts;

    /// <summary>Why the server must not start as configured, or null when it may.</summary>
    public static string? Problem(IConfiguration configuration, bool authEnabled)
    {
        foreach (var url in ListenUrls(configuration))
            if (IPAddress.TryParse(HostOf(url), out var address) && address.IsIPv4MappedToIPv6)
                return $"ProCo Studio cannot listen on {url}: an IPv4-mapped IPv6 address is not one a server binds. " +
                       $"Use the IPv4 address itself, e.g. --urls http://{address.MapToIPv4()}:{PortOf(url)}.";
        var open = ListenUrls(configuration).Where(u => !IsLoopback(u)).ToList();
        if (open.Count == 0) return null;
        var where = string.Join(", ", open);
        if (!authEnabled)
            return $"ProCo Studio would listen on {where}, which other machines can reach, and accounts are off. Either listen on this " +
                   $"machine only (--urls {WebApp.DefaultUrl}), or turn accounts on: create the first admin with 'proco user add NAME --admin', " +
                   "then start with --ProCo:Auth:Enabled=true (environment: ProCo__Auth__Enabled=true) and name the host names browsers " +
                   "will use, e.g. --AllowedHosts=\"studio.lab.example;localhost\".";
        if (ConfiguredHosts(configuration) is null)
            return $"ProCo Studio would listen on {where}: name the host names browsers will use to reach it, so that requests for any " +
                   "other name are refused (DNS rebinding), e.g. --AllowedHosts=\"studio.lab.example;localhost\" (environment: " +
                   "AllowedHosts=studio.lab.example;localhost).";
        return null;
    }
}
