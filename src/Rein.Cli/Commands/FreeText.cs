using System.CommandLine;
using System.CommandLine.Parsing;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Commands;

/// <summary>
/// Words of a free-text argument (a task, a message) that look like options. System.CommandLine hands an unknown
/// option to a many-valued argument as text, so <c>rein run --max-step 1 "do it"</c> would run with the prompt
/// <c>--max-step 1 do it</c>; such a word is an error unless it comes after <c>--</c>.
/// </summary>
internal static class FreeText
{
    /// <summary>Refuses a word of <paramref name="argument"/> that starts with <c>-</c> and was not given after <c>--</c>.</summary>
    /// <exception cref="SettingsException">Such a word was given; the message names the closest known option.</exception>
    public static void RejectOptionLikeWords(ParseResult parse, Argument<string[]> argument)
    {
        var words = parse.GetResult(argument)?.Tokens;
        if (words is not { Count: > 0 })
        {
            return;
        }

        var separator = -1;
        for (var i = 0; i < parse.Tokens.Count; i++)
        {
            if (parse.Tokens[i].Type == TokenType.DoubleDash)
            {
                separator = i;
                break;
            }
        }

        foreach (var word in words)
        {
            var text = word.Value;
            if (text.Length < 2 || text[0] != '-')
            {
                continue;
            }

            var position = IndexOf(parse.Tokens, word);
            if (separator >= 0 && position > separator)
            {
                continue;
            }

            var name = text.Split('=', 2)[0];
            var closest = Closest(name, parse.CommandResult.Command);
            var hint = closest is null ? "" : $" Did you mean {closest}?";
            throw new SettingsException(
                $"Unknown option '{name}'.{hint} A {argument.Name} that starts with '-' goes after '--', e.g. rein {parse.CommandResult.Command.Name} -- \"{text} …\" (see rein {parse.CommandResult.Command.Name} --help).");
        }
    }

    private static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (ReferenceEquals(tokens[i], token))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The option name or alias of the command nearest to <paramref name="name"/>, if any is near enough to be meant.</summary>
    internal static string? Closest(string name, Command command) =>
        NearestName.Closest(name, command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)));
}
