using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace ProCo.Web.Tests;

/// <summary>
/// The README's command-line block as a newcomer copies it: every <c>$P ...</c> line, in order, through the built
/// program (<c>P</c> is <c>dotnet proco.dll</c>) in an empty temporary folder with its own data folder. A line whose
/// comment says it "needs" something a fresh machine lacks (CIFAR, ImageNet-LT, the network) must stop with its
/// reason and a non-zero exit; every other line must exit 0; none may print a stack trace; the figures a comment
/// gives (569,972) must be in the output; <c>worker</c> counts once it is up, <c>echo ... |</c> feeds standard input.
/// Where a line names a file or folder by a placeholder the test makes it first (a small image folder for
/// path/to/photos, the authors' logs where src/Web/reference-logs is). When the README changes, this follows it.
/// Then the line that evaluates PyTorch weights runs again with what it needs: the weights and a small CIFAR-100.
/// </summary>
public sealed partial class ReadmeCommandsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "proco-readme-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    /// <summary>One line of the block: its arguments, what it reads on standard input, its comment.</summary>
    public sealed record ReadmeLine(string Text, string[] Args, string? Input, string Comment)
    {
        public bool Needs => Comment.Contains("(needs ", StringComparison.Ordinal);
    }

    /// <summary>The <c>$P</c> lines of the README's command-line block (the <c>```sh</c> block under "### Command line").</summary>
    public static IReadOnlyList<ReadmeLine> Lines()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var section = text.IndexOf("### Command line", StringComparison.Ordinal);
        var open = text.IndexOf("```sh", section, StringComparison.Ordinal) + "```sh".Length;
        var block = text[open..text.IndexOf("```", open, StringComparison.Ordinal)];
        var lines = new List<ReadmeLine>();
        foreach (var raw in block.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var match = LinePattern().Match(raw);
            if (!match.Success) continue;
            var input = match.Groups["input"].Success ? match.Groups["input"].Value : null;
            lines.Add(new ReadmeLine(raw, Split(match.Groups["args"].Value), input, match.Groups["comment"].Value.Trim()));
        }
        return lines;
    }

    // [echo "INPUT" |] $P ARGS [# COMMENT]
    [GeneratedRegex("""^(?:echo "(?<input>[^"]*)" \| )?\$P (?<args>[^#]*?)\s*(?:#(?<comment>.*))?$""")]
    private static partial Regex LinePattern();

    // Shell words: split at spaces, double quotes keep a word together.
    private static string[] Split(string args) =>
        [.. Regex.Matches(args, """ "([^"]*)"|(\S+) """.Trim()).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)];

    [Fact]
    public async Task EveryLineOfTheCommandBlock_RunsAsDocumented()
    {
        var lines = Lines();
        Assert.True(lines.Count >= 15, $"the README's command block has {lines.Count} $P lines");
        Directory.CreateDirectory(_folder);
        MakePlaceholders(lines);
        var failures = new List<string>();
        foreach (var line in lines)
        {
            var watch = Stopwatch.StartNew();
            var (code, text, running) = line.Args[0] == "worker" ? await StartAndStopAsync(line.Args) : await RunAsync(line.Args, line.Input);
            output.WriteLine($"$ {line.Text}\n  exit {code}{(running ? " (was running when stopped)" : "")} after {watch.Elapsed.TotalSeconds:0} s\n" +
                             $"  {text.Trim().Replace("\n", "\n  ", StringComparison.Ordinal)}");
            var problems = Check(line, code, text, running);
            failures.AddRange(problems.Select(p => $"{line.Text}\n    {p}"));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The line that evaluates PyTorch weights, again, with what it needs: the weights (the released-checkpoint layout
        // of Fixtures/pytorch: 'module.' names, a cosine classifier of 100 classes) and a small CIFAR-100.
        var evalLine = lines.Single(l => l.Args.Length > 1 && l.Args[0] == "eval" && l.Args[1].EndsWith(".pth.tar", StringComparison.Ordinal));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", "checkpoint.pth.tar"), Path.Combine(_folder, evalLine.Args[1]));
        var cifar = Path.Combine(_folder, "data", "datasets", "cifar-100-binary");
        Directory.CreateDirectory(cifar);
        // 101 training images of each class (the long-tail draw keeps 101 down to 1: many, medium and few classes) and 2 test images of each.
        long[] Labels(int perClass) => [.. Enumerable.Range(0, 100 * perClass).Select(i => (long)(i % 100))];
        ProCo.Tests.DatasetFiles.WriteCifarBinary(Path.Combine(cifar, "train.bin"), ProCo.Tests.DatasetFiles.Pixels(10_100, 3072), Labels(101), cifar100: true);
        ProCo.Tests.DatasetFiles.WriteCifarBinary(Path.Combine(cifar, "test.bin"), ProCo.Tests.DatasetFiles.Pixels(200, 3072), Labels(2), cifar100: true);
        var (evalCode, evalText, _) = await RunAsync(evalLine.Args, null);
        output.WriteLine($"$ {evalLine.Text}   (with the file and a small CIFAR-100)\n  {evalText.Trim()}");
        Assert.Equal(0, evalCode);
        Assert.Contains("resnet32 (width x1, 3 input channels) + ProCo heads, 100 classes", evalText, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^top-1 \d+\.\d\d  many \d+\.\d\d \(\d+\)  medium \d+\.\d\d \(\d+\)  few \d+\.\d\d \(\d+\)", evalText);
        Assert.Contains("evaluated on cpu in fp32", evalText, StringComparison.Ordinal);
    }

    private static List<string> Check(ReadmeLine line, int code, string text, bool running)
    {
        var problems = new List<string>();
        if (text.Contains("Unhandled exception", StringComparison.Ordinal) || Regex.IsMatch(text, @"(?m)^\s+at \S+\.\S+\("))
            problems.Add("printed a stack trace");
        if (line.Args[0] == "worker")
        {
            if (!running) problems.Add($"stopped by itself (exit {code}) instead of serving until stopped");
            return problems;
        }
        if (line.Needs)
        {
            var last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            if (code == 0) problems.Add("needs what this machine lacks, yet exited 0");
            if (last.Length < 20) problems.Add($"stopped without a reason (last line '{last}')");
            return problems;
        }
        if (code != 0) problems.Add($"exited {code}");
        foreach (Match figure in Regex.Matches(line.Comment, @"\d{1,3}(?:,\d{3})+"))
            if (!text.Contains(figure.Value, StringComparison.Ordinal)) problems.Add($"does not print {figure.Value}");
        return problems;
    }

    // The files and folders the block names by placeholder, made the way a user would have them.
    private void MakePlaceholders(IReadOnlyList<ReadmeLine> lines)
    {
        foreach (var arg in lines.SelectMany(l => l.Args))
        {
            var path = Path.Combine(_folder, arg);
            if (arg == "path/to/photos" && !Directory.Exists(path))
            {
                string[] classes = ["daisy", "rose", "tulip"];
                for (var c = 0; c < classes.Length; c++)
                    for (var i = 0; i < 12; i++) ProCo.Tests.ImageTrees.WriteImage(Path.Combine(path, classes[c], $"{i:00}.jpg"), c, i);
            }
            else if (arg == "src/Web/reference-logs" && !Directory.Exists(path))
            {
                CopyTree(Path.Combine(AppContext.BaseDirectory, "reference-logs"), path);
            }
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private ProcessStartInfo Start(string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "proco.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return info;
    }

    private async Task<(int Code, string Text, bool Running)> RunAsync(string[] args, string? input)
    {
        using var process = Process.Start(Start(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteLineAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr, false);
    }

    // A verb that serves until stopped: up once it says so, then stopped with Ctrl+C's signal.
    private async Task<(int Code, string Text, bool Running)> StartAndStopAsync(string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var text = new System.Text.StringBuilder();
        var up = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            lock (text) text.AppendLine(e.Data);
            if (e.Data?.StartsWith("proco worker:", StringComparison.Ordinal) == true) up.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { lock (text) text.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Task.WhenAny(up.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        var running = up.Task.IsCompleted && !process.HasExited;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        lock (text) return (process.HasExited ? process.ExitCode : -1, text.ToString(), running);
    }
}
