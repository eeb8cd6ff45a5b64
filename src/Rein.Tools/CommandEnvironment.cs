namespace Rein.Tools;

/// <summary>The allow-list of Rein's own environment variables that commands run for the model (and hooks) inherit.</summary>
/// <remarks>
/// <para>
/// Only <see cref="DefaultNames"/> pass, plus the extra names given (settings <c>sandbox.env</c>); every other variable
/// of Rein's environment (database URLs, passwords, telemetry headers, tokens) is dropped. A name ending in <c>*</c>
/// passes every variable that starts with the rest (<c>LC_*</c>, <c>MY_*</c>). A variable whose name marks it as a
/// credential (<see cref="SecretEnvironment.IsSecretName"/>) never passes, even when listed or matched by a pattern:
/// stored secrets reach a command only when the model names them in the <c>shell</c> tool's <c>secrets</c> argument.
/// Variables a runner sets for a request (<see cref="CommandRequest.Environment"/>) are applied after this filter.
/// </para>
/// <para>Immutable and thread-safe.</para>
/// </remarks>
public sealed class CommandEnvironment
{
    private static readonly string[] WindowsEssentials = ["SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP", "USERPROFILE"];
    private readonly string[] _exact;
    private readonly string[] _prefixes;
    private readonly StringComparison _comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>Creates an allow-list of <see cref="DefaultNames"/> plus <paramref name="extraNames"/>.</summary>
    /// <param name="extraNames">More names or <c>PREFIX*</c> patterns to pass, e.g. <c>NODE_ENV</c>, <c>CI</c>. Defaults to none.</param>
    /// <exception cref="ArgumentException">A name is not a valid variable name or pattern (<see cref="IsValidPattern"/>).</exception>
    public CommandEnvironment(IEnumerable<string>? extraNames = null)
    {
        var names = DefaultNames.Concat(OperatingSystem.IsWindows() ? WindowsEssentials : []).ToList();
        foreach (var name in extraNames ?? [])
        {
            if (!IsValidPattern(name))
            {
                throw new ArgumentException($"'{name}' is not an environment variable name or NAME* pattern.", nameof(extraNames));
            }

            names.Add(name);
        }

        _exact = [.. names.Where(n => !n.EndsWith('*'))];
        _prefixes = [.. names.Where(n => n.EndsWith('*')).Select(n => n[..^1])];
    }

    /// <summary>
    /// Gets the names that always pass: <c>PATH</c>, <c>LANG</c>, <c>LC_*</c>, <c>TERM</c>, <c>TZ</c>, <c>HOME</c>,
    /// <c>USER</c>, <c>SHELL</c>, and the variables that say where toolchains live (<c>CARGO_HOME</c>,
    /// <c>RUSTUP_HOME</c>, <c>GOROOT</c>, <c>GOPATH</c>, <c>JAVA_HOME</c>, <c>DOTNET_ROOT</c>, <c>PYENV_ROOT</c>, <c>NVM_DIR</c>).
    /// </summary>
    /// <remarks>A sandbox replaces <c>HOME</c> with its own. On Windows the variables the system needs to start programs pass too.</remarks>
    public static IReadOnlyList<string> DefaultNames { get; } =
        ["PATH", "LANG", "LC_*", "TERM", "TZ", "HOME", "USER", "SHELL", "CARGO_HOME", "RUSTUP_HOME", "GOROOT", "GOPATH", "JAVA_HOME", "DOTNET_ROOT", "PYENV_ROOT", "NVM_DIR"];

    /// <summary>Whether a text is a variable name (letters, digits, <c>_</c>, not starting with a digit), optionally ending in <c>*</c>.</summary>
    /// <param name="pattern">The text.</param>
    /// <returns><see langword="true"/> when it can be given to the constructor.</returns>
    public static bool IsValidPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var name = pattern.EndsWith('*') ? pattern[..^1] : pattern;
        return name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }

    /// <summary>Whether a variable of Rein's environment passes to commands.</summary>
    /// <param name="name">The variable's name.</param>
    /// <returns><see langword="true"/> when it is allowed and not credential-like.</returns>
    public bool Passes(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var listed = _exact.Any(n => string.Equals(n, name, _comparison)) || _prefixes.Any(p => name.StartsWith(p, _comparison));
        return listed && !SecretEnvironment.IsSecretName(name);
    }
}
