namespace Rein.Cli.Commands;

/// <summary>The short forms of a command line that other agent CLIs taught people, rewritten to Rein's commands before parsing.</summary>
internal static class EntryArguments
{
    /// <summary>Rewrites the arguments.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="terminal">Whether standard input and output are both a terminal (a person is typing).</param>
    /// <returns>
    /// <c>rein chat</c> for a bare <c>rein</c> on a terminal (elsewhere a bare <c>rein</c> prints help, so scripts see no prompt);
    /// <c>rein run -p …</c> for Claude Code's <c>rein -p …</c>; <c>rein resume --last …</c> for <c>rein -c</c>/<c>--continue</c>;
    /// anything else as given.
    /// </returns>
    public static string[] Rewrite(string[] args, bool terminal) => args switch
    {
        [] when terminal => ["chat"],
        ["-p" or "--print", ..] => ["run", .. args],
        ["-c" or "--continue", .. var rest] => ["resume", "--last", .. rest],
        _ => args,
    };
}
