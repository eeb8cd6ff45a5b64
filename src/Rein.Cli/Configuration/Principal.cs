namespace Rein.Cli.Configuration;

/// <summary>Who is using Rein: <c>$REIN_PRINCIPAL</c>, else the operating-system user name.</summary>
internal static class Principal
{
    public static string Current(Func<string, string?> env) =>
        env("REIN_PRINCIPAL") is { Length: > 0 } principal ? principal : Environment.UserName;
}
