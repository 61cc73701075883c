using System.CommandLine;
using System.Globalization;
using ProCo.Web.Accounts;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary>
/// <c>proco user</c> and <c>proco token</c>: accounts and API tokens, managed on the data folder
/// itself (whoever can write the data folder owns the server; the first admin is made here, never
/// from a default password).
/// </summary>
internal static class AccountCommands
{
    public static Command User()
    {
        var command = new Command("user", "Accounts of the web app: add, list, role, password, remove.");

        var name = new Argument<string>("name") { Description = "Account name (letters, digits, - . _ @)" };
        var role = new Option<string>("--role") { Description = "viewer, operator or admin", DefaultValueFactory = _ => StudioRoles.Viewer };
        var admin = new Option<bool>("--admin") { Description = "Shorthand for --role admin" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (one line) instead of prompting" };
        var add = new Command("add", "Create an account; asks for its password (at least 10 characters).");
        add.Arguments.Add(name);
        add.Options.Add(role);
        add.Options.Add(admin);
        add.Options.Add(passwordStdin);
        add.TreatUnmatchedTokensAsErrors = false;
        add.SetAction(async (parse, ct) =>
        {
            var chosen = parse.GetValue(admin) ? StudioRoles.Admin : StudioRoles.Parse(parse.GetValue(role)!);
            var password = ReadPassword(parse.GetValue(passwordStdin));
            if (password is null) return 2;
            await using var session = await Session.OpenAsync(parse, ct);
            if (await session.Accounts.AddAsync(parse.GetValue(name)!, password, chosen) is { } error) return Fail(error);
            Console.WriteLine($"Account '{parse.GetValue(name)}' created ({chosen}).");
            if (!session.Options.Auth.Enabled)
                Console.WriteLine("Accounts are off on this configuration: start the server with --ProCo:Auth:Enabled=true to require sign-in.");
            return 0;
        });
        command.Subcommands.Add(add);

        var list = new Command("list", "List accounts with their roles.");
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse, ct);
            var accounts = await session.Accounts.ListAsync(ct);
            if (accounts.Count == 0) Console.WriteLine("No accounts. Create the first admin with 'proco user add NAME --admin'.");
            foreach (var a in accounts)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{a.Name,-24} {a.Role,-9} created {a.CreatedAt:yyyy-MM-dd}  {a.Tokens} token(s){(a.LockedOut ? "  locked out (too many failed sign-ins)" : "")}"));
            return 0;
        });
        command.Subcommands.Add(list);

        var roleName = new Argument<string>("name") { Description = "Account name" };
        var newRole = new Argument<string>("role") { Description = "viewer, operator or admin" };
        var setRole = new Command("role", "Give an account another role (its sessions learn it within a minute).");
        setRole.Arguments.Add(roleName);
        setRole.Arguments.Add(newRole);
        setRole.TreatUnmatchedTokensAsErrors = false;
        setRole.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse, ct);
            if (await session.Accounts.SetRoleAsync(parse.GetValue(roleName)!, parse.GetValue(newRole)!) is { } error) return Fail(error);
            Console.WriteLine($"'{parse.GetValue(roleName)}' is now {StudioRoles.Parse(parse.GetValue(newRole)!)}.");
            return 0;
        });
        command.Subcommands.Add(setRole);

        var passwordName = new Argument<string>("name") { Description = "Account name" };
        var passwordFromStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (one line)" };
        var password = new Command("password", "Set an account's password (and lift a lock-out); ends its sessions and API tokens.");
        password.Arguments.Add(passwordName);
        password.Options.Add(passwordFromStdin);
        password.TreatUnmatchedTokensAsErrors = false;
        password.SetAction(async (parse, ct) =>
        {
            var secret = ReadPassword(parse.GetValue(passwordFromStdin));
            if (secret is null) return 2;
            await using var session = await Session.OpenAsync(parse, ct);
            if (await session.Accounts.SetPasswordAsync(parse.GetValue(passwordName)!, secret) is { } error) return Fail(error);
            Console.WriteLine($"Password of '{parse.GetValue(passwordName)}' set; its sessions and API tokens are ended.");
            return 0;
        });
        command.Subcommands.Add(password);

        var removeName = new Argument<string>("name") { Description = "Account name" };
        var remove = new Command("remove", "Remove an account and its tokens (its runs stay).");
        remove.Arguments.Add(removeName);
        remove.TreatUnmatchedTokensAsErrors = false;
        remove.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse, ct);
            if (await session.Accounts.RemoveAsync(parse.GetValue(removeName)!) is { } error) return Fail(error);
            Console.WriteLine($"Account '{parse.GetValue(removeName)}' removed.");
            return 0;
        });
        command.Subcommands.Add(remove);
        return command;
    }

    public static Command Token()
    {
        var command = new Command("token", "API tokens for scripts, the REST API and the live hub: create, list, revoke.");

        var user = new Option<string>("--user") { Description = "The account the token acts as (with its role)", Required = true };
        var label = new Option<string>("--name") { Description = "What the token is for", DefaultValueFactory = _ => "command line" };
        var days = new Option<int?>("--days") { Description = "Expires after this many days, 1 to 3650 (default: 90)" };
        var create = new Command("create", "Create a token and print it once (only its hash is kept).");
        create.Options.Add(user);
        create.Options.Add(label);
        create.Options.Add(days);
        create.TreatUnmatchedTokensAsErrors = false;
        create.SetAction(async (parse, ct) =>
        {
            var lifetime = parse.GetValue(days) is { } d ? TimeSpan.FromDays(d) : (TimeSpan?)null;
            await using var session = await Session.OpenAsync(parse, ct);
            var (token, info, error) = await session.Accounts.CreateTokenAsync(parse.GetValue(user)!, parse.GetValue(label)!, lifetime, ct);
            if (error is not null) return Fail(error);
            Console.WriteLine(token);
            Console.Error.WriteLine($"Token {info!.Id} for '{info.User}'{(info.ExpiresAt is { } at ? $", expires {at:yyyy-MM-dd}" : "")}. " +
                                    "It is shown only now: send it as 'Authorization: Bearer <token>'.");
            return 0;
        });
        command.Subcommands.Add(create);

        var owner = new Option<string?>("--user") { Description = "Only this account's tokens" };
        var list = new Command("list", "List tokens (never the tokens themselves).");
        list.Options.Add(owner);
        list.TreatUnmatchedTokensAsErrors = false;
        list.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse, ct);
            var now = DateTimeOffset.UtcNow;
            foreach (var t in await session.Accounts.ListTokensAsync(parse.GetValue(owner), ct))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{t.Id,5}  {t.Prefix}…  {t.User,-20} {t.Name,-24} created {t.CreatedAt:yyyy-MM-dd}  " +
                    $"{(t.Expired(now) ? "expired" : t.ExpiresAt is { } at ? $"expires {at:yyyy-MM-dd}" : "no expiry")}  " +
                    $"{(t.LastUsedAt is { } used ? $"last used {used:yyyy-MM-dd HH:mm}" : "never used")}"));
            return 0;
        });
        command.Subcommands.Add(list);

        var id = new Argument<long>("id") { Description = "Token id (from 'proco token list')" };
        var revoke = new Command("revoke", "Revoke a token at once.");
        revoke.Arguments.Add(id);
        revoke.TreatUnmatchedTokensAsErrors = false;
        revoke.SetAction(async (parse, ct) =>
        {
            await using var session = await Session.OpenAsync(parse, ct);
            if (!await session.Accounts.RevokeTokenAsync(parse.GetValue(id), owner: null, ct)) return Fail($"There is no token {parse.GetValue(id)}.");
            Console.WriteLine($"Token {parse.GetValue(id)} revoked.");
            return 0;
        });
        command.Subcommands.Add(revoke);
        return command;
    }

    private static int Fail(string error)
    {
        Console.Error.WriteLine(error);
        return 1;
    }

    // A password from one line of standard input, or typed twice without echo at a terminal.
    private static string? ReadPassword(bool fromStdin)
    {
        // Without a terminal (a script, a pipe) the password is the first line of standard input, as with --password-stdin.
        if (fromStdin || Console.IsInputRedirected) return Console.In.ReadLine() ?? "";
        var first = Prompt("Password (at least 10 characters): ");
        if (first != Prompt("Again: "))
        {
            Console.Error.WriteLine("The two passwords differ.");
            return null;
        }
        return first;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else if (!char.IsControl(key.KeyChar)) text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }

    // The account services on the data folder's database (migrated first).
    private sealed class Session : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly AsyncServiceScope _scope;

        private Session(ServiceProvider provider)
        {
            _provider = provider;
            _scope = provider.CreateAsyncScope();
        }

        public AccountService Accounts => _scope.ServiceProvider.GetRequiredService<AccountService>();
        public ProCoOptions Options => _scope.ServiceProvider.GetRequiredService<ProCoOptions>();

        public static async Task<Session> OpenAsync(ParseResult parse, CancellationToken ct)
        {
            var services = new ServiceCollection();
            services.AddSingleton(CliConfiguration.Build(parse));
            services.AddLogging();
            services.AddProCoCore();
            services.AddAccounts();
            var session = new Session(services.BuildServiceProvider());
            await session._provider.PrepareDataFolderAsync(ct);
            return session;
        }

        public async ValueTask DisposeAsync()
        {
            await _scope.DisposeAsync();
            await _provider.DisposeAsync();
        }
    }
}
