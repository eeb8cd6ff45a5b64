using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Rein.Tools;

/// <summary>Turns HTML into readable plain text: block structure as line breaks, headings and list markers, link targets in parentheses.</summary>
internal static class HtmlText
{
    private static readonly HashSet<string> Dropped = new(StringComparer.Ordinal)
    {
        "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "head", "select", "button",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.Ordinal)
    {
        "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "caption",
    };

    public static (string Title, string Text) Extract(string html, Uri baseUri)
    {
        var document = new HtmlParser().ParseDocument(html);
        var title = Collapse(document.Title ?? "").Trim();
        var text = new StringBuilder();
        if (document.Body is { } body)
        {
            Render(body, text, baseUri, inPre: false);
        }

        return (title, text.ToString().Trim('\n', ' '));
    }

    private static void Render(INode node, StringBuilder text, Uri baseUri, bool inPre)
    {
        switch (node)
        {
            case IText textNode:
                AppendInline(text, inPre ? textNode.Data : Collapse(textNode.Data), inPre);
                return;
            case IElement element:
                RenderElement(element, text, baseUri, inPre);
                return;
            default:
                return;
        }
    }

    private static void RenderElement(IElement element, StringBuilder text, Uri baseUri, bool inPre)
    {
        var name = element.LocalName;
        if (Dropped.Contains(name))
        {
            return;
        }

        switch (name)
        {
            case "br":
                NewLine(text);
                return;
            case "img":
                if (element.GetAttribute("alt") is { Length: > 0 } alt)
                {
                    AppendInline(text, $"[image: {Collapse(alt).Trim()}]", inPre: false);
                }

                return;
            case "td" or "th":
                AppendInline(text, " | ", inPre: false);
                break;
            default:
                break;
        }

        var block = Blocks.Contains(name);
        if (block)
        {
            BlankLine(text, name is "p" or "pre" or "table" or "blockquote" or "ul" or "ol" || name.StartsWith('h'));
        }

        if (name.Length == 2 && name[0] == 'h' && char.IsAsciiDigit(name[1]))
        {
            text.Append('#', name[1] - '0').Append(' ');
        }
        else if (name == "li")
        {
            text.Append("- ");
        }

        var before = text.Length;
        foreach (var child in element.ChildNodes)
        {
            Render(child, text, baseUri, inPre || name == "pre");
        }

        if (name == "a" && Link(element, baseUri) is { } href)
        {
            var label = text.ToString(before, text.Length - before).Trim();
            if (!string.Equals(label, href, StringComparison.Ordinal))
            {
                AppendInline(text, $" ({href})", inPre: false);
            }
        }

        if (block)
        {
            BlankLine(text, name is "p" or "pre" or "table" or "blockquote" or "ul" or "ol" || name.StartsWith('h'));
        }
    }

    private static string? Link(IElement anchor, Uri baseUri)
    {
        var href = anchor.GetAttribute("href")?.Trim();
        if (string.IsNullOrEmpty(href) || href.StartsWith('#') || href.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Uri.TryCreate(baseUri, href, out var absolute) ? absolute.ToString() : href;
    }

    private static void AppendInline(StringBuilder text, string value, bool inPre)
    {
        if (value.Length == 0)
        {
            return;
        }

        if (!inPre && (text.Length == 0 || text[^1] is '\n' or ' '))
        {
            value = value.TrimStart();
        }

        text.Append(value);
    }

    private static void NewLine(StringBuilder text)
    {
        TrimTrailingSpaces(text);
        text.Append('\n');
    }

    private static void BlankLine(StringBuilder text, bool blank)
    {
        TrimTrailingSpaces(text);
        if (text.Length == 0)
        {
            return;
        }

        var wanted = blank ? 2 : 1;
        var have = 0;
        for (var i = text.Length - 1; i >= 0 && text[i] == '\n' && have < wanted; i--)
        {
            have++;
        }

        text.Append('\n', wanted - have);
    }

    private static void TrimTrailingSpaces(StringBuilder text)
    {
        while (text.Length > 0 && text[^1] is ' ' or '\t')
        {
            text.Length--;
        }
    }

    private static string Collapse(string value)
    {
        var builder = new StringBuilder(value.Length);
        var space = false;
        foreach (var c in value)
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        if (space)
        {
            builder.Append(' ');
        }

        return builder.ToString();
    }
}
