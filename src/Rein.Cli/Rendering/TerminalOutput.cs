using Spectre.Console;
using Spectre.Console.Rendering;

namespace Rein.Cli.Rendering;

/// <summary>
/// Where Rein's output goes: <see cref="Console.Out"/> and <see cref="Console.Error"/> neutralise terminal controls in
/// everything written to them, and Spectre.Console consoles write Rein's own colours to the real streams while the text
/// they are given is neutralised segment by segment, before it is styled.
/// </summary>
internal static class TerminalOutput
{
    /// <summary>
    /// The process's real standard error, for Rein's own escape sequences (the spinner, a styled console); text written
    /// here directly is not neutralised. Until <see cref="Install"/> runs, <see cref="Console.Error"/>.
    /// </summary>
    public static TextWriter StandardError { get; private set; } = Console.Error;

    /// <summary>
    /// Whether the user asked for output without colour: <c>NO_COLOR</c> set to anything but the empty string
    /// (no-color.org). Rein then writes no escape sequence at all, not even for its spinner or bold text.
    /// </summary>
    public static bool NoColor => Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };

    /// <summary>Replaces the console's writers with neutralising ones and sets up <see cref="AnsiConsole.Console"/>; call once, first.</summary>
    public static void Install()
    {
        if (NoColor)
        {
            // .NET writes the terminal's keypad-mode sequence (terminfo keypad_xmit) when it sets the console up, and again
            // after each child process. Set up with TERM hidden, there is none to write; shell commands still get TERM.
            var term = Environment.GetEnvironmentVariable("TERM");
            Environment.SetEnvironmentVariable("TERM", null);
            try
            {
                _ = Console.WindowWidth;
            }
            catch (IOException)
            {
                // No terminal: nothing was set up, nothing to write.
            }
            finally
            {
                Environment.SetEnvironmentVariable("TERM", term);
            }
        }

        var output = Console.Out;
        var error = Console.Error;
        // Created while Console.Out is still the real stream, so colour support is detected from it. A pipe or a file gets
        // plain text whatever TERM says.
        var plain = NoColor || Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        console.Pipeline.Attach(NeutralizingRenderHook.Instance);
        AnsiConsole.Console = console;
        StandardError = error;
        Console.SetOut(new NeutralizingWriter(output));
        Console.SetError(new NeutralizingWriter(error));
    }

    /// <summary>Neutralises the text of every segment a console renders; Spectre's own control codes pass.</summary>
    internal sealed class NeutralizingRenderHook : IRenderHook
    {
        public static NeutralizingRenderHook Instance { get; } = new();

        public IEnumerable<IRenderable> Process(RenderOptions options, IEnumerable<IRenderable> renderables) =>
            renderables.Select(r => (IRenderable)new Neutralized(r));

        private sealed class Neutralized(IRenderable inner) : IRenderable
        {
            public Measurement Measure(RenderOptions options, int maxWidth) => inner.Measure(options, maxWidth);

            public IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
            {
                foreach (var segment in inner.Render(options, maxWidth))
                {
                    var text = segment.IsControlCode || segment.IsLineBreak ? segment.Text : TerminalText.Neutralize(segment.Text);
                    yield return ReferenceEquals(text, segment.Text) ? segment : new Segment(text, segment.Style, segment.Link);
                }
            }
        }
    }
}
