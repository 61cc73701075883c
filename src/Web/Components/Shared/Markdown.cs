using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace ProCo.Web.Components.Shared;

/// <summary>
/// A run's notes from Markdown to HTML that is safe to show: CommonMark with tables, task lists and
/// autolinks; raw HTML is written as text, and a link or image whose address is not http(s),
/// mailto or within this site points nowhere.
/// </summary>
public static class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().UseTaskLists().UseAutoLinks().UseEmphasisExtras().DisableHtml().Build();

    public static string ToHtml(string markdown)
    {
        var document = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafe(link.Url)) link.Url = "#";
        }
        foreach (var link in document.Descendants<AutolinkInline>())
        {
            if (!link.IsEmail && !IsSafe(link.Url)) link.Url = "#";
        }
        return document.ToHtml(Pipeline);
    }

    // http(s), mailto, a path of this site, or a fragment; nothing that runs script or reads files.
    private static bool IsSafe(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        var trimmed = url.Trim();
        // "//host" and "/\host" leave the site (browsers read a backslash as a slash).
        if (trimmed.StartsWith('#') || trimmed == "/") return true;
        if (trimmed.StartsWith('/')) return trimmed[1] is not ('/' or '\\');
        return Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto";
    }
}
