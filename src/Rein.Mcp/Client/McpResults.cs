using System.Globalization;
using System.Text;
using ModelContextProtocol.Protocol;
using Rein.Tools;

namespace Rein.Mcp.Client;

/// <summary>Turns what an MCP server answers into the text observation the model reads.</summary>
/// <remarks>
/// Text passes as it is; images and audio become a line naming their type and size (the model is not sent binary data it
/// did not ask to see); embedded resources give their text; links give their URI. A result with no content but structured
/// content gives that JSON. <c>isError</c> becomes a failed result.
/// </remarks>
internal static class McpResults
{
    public static ToolResult Render(CallToolResult result)
    {
        var text = new StringBuilder();
        foreach (var block in result.Content)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            Append(text, block);
        }

        if (text.Length == 0 && result.StructuredContent is { } structured)
        {
            text.Append(structured.GetRawText());
        }

        var content = text.Length == 0 ? (result.IsError == true ? "The tool failed without saying why." : "(no output)") : text.ToString();
        return result.IsError == true ? ToolResult.Error(content) : ToolResult.Ok(content);
    }

    public static ToolResult Render(string server, IList<ModelContextProtocol.Client.McpClientResource> resources)
    {
        if (resources.Count == 0)
        {
            return ToolResult.Ok($"MCP server '{server}' offers no resources.");
        }

        var text = new StringBuilder();
        foreach (var resource in resources)
        {
            var r = resource.ProtocolResource;
            text.Append(CultureInfo.InvariantCulture, $"{server}\t{r.Uri}\t{r.Name}");
            if (r.MimeType is { } mime)
            {
                text.Append('\t').Append(mime);
            }

            if (r.Description is { Length: > 0 } description)
            {
                text.Append("\t— ").Append(description.ReplaceLineEndings(" "));
            }

            text.Append('\n');
        }

        return ToolResult.Ok(text.ToString().TrimEnd('\n'));
    }

    public static ToolResult Render(ReadResourceResult result)
    {
        var text = new StringBuilder();
        foreach (var contents in result.Contents)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            Append(text, contents);
        }

        return ToolResult.Ok(text.Length == 0 ? "(empty resource)" : text.ToString());
    }

    private static void Append(StringBuilder text, ContentBlock block)
    {
        switch (block)
        {
            case TextContentBlock t:
                text.Append(t.Text);
                break;
            case ImageContentBlock image:
                text.Append(CultureInfo.InvariantCulture, $"[image {image.MimeType}, {DecodedLength(image.Data)} bytes, not shown]");
                break;
            case AudioContentBlock audio:
                text.Append(CultureInfo.InvariantCulture, $"[audio {audio.MimeType}, {DecodedLength(audio.Data)} bytes, not shown]");
                break;
            case EmbeddedResourceBlock embedded:
                Append(text, embedded.Resource);
                break;
            case ResourceLinkBlock link:
                text.Append(CultureInfo.InvariantCulture, $"[resource {link.Uri}{(link.Name is { Length: > 0 } name ? " " + name : "")}]");
                break;
            default:
                text.Append(CultureInfo.InvariantCulture, $"[{block.Type} content, not shown]");
                break;
        }
    }

    private static void Append(StringBuilder text, ResourceContents contents)
    {
        switch (contents)
        {
            case TextResourceContents t:
                text.Append(t.Text);
                break;
            case BlobResourceContents blob:
                text.Append(CultureInfo.InvariantCulture, $"[{blob.MimeType ?? "binary"} resource {blob.Uri}, {DecodedLength(blob.Blob)} bytes, not shown]");
                break;
            default:
                text.Append(CultureInfo.InvariantCulture, $"[resource {contents.Uri}]");
                break;
        }
    }

    private static long DecodedLength(ReadOnlyMemory<byte> base64) => base64.Length * 3L / 4;
}
