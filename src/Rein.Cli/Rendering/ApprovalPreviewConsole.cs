using Rein.Server.Views;
using Spectre.Console;

namespace Rein.Cli.Rendering;

/// <summary>Shows an <see cref="ApprovalPreview"/> in a terminal.</summary>
internal static class ApprovalPreviewConsole
{
    /// <summary>Writes the preview to a console, each line indented, diff lines coloured when the console has colours.</summary>
    /// <remarks>Text from the model and from files is neutralised (<see cref="TerminalText"/>), so escape sequences in it cannot act on the terminal.</remarks>
    public static void Write(this ApprovalPreview preview, IAnsiConsole console, string indent)
    {
        ArgumentNullException.ThrowIfNull(preview);
        ArgumentNullException.ThrowIfNull(console);
        foreach (var line in preview.Lines)
        {
            var text = Markup.Escape(indent + TerminalText.Neutralize(line.Text));
            var style = line.Kind switch
            {
                PreviewLineKind.Added => "green",
                PreviewLineKind.Removed => "red",
                PreviewLineKind.Header => "cyan",
                PreviewLineKind.Note or PreviewLineKind.Context => "grey",
                PreviewLineKind.Text => null,
                _ => null,
            };
            console.MarkupLine(style is null ? text : $"[{style}]{text}[/]");
        }
    }
}
