namespace Rein.Tools;

/// <summary>Recognises environment variables that hold credentials, so commands run for the model never inherit them.</summary>
public static class SecretEnvironment
{
    private static readonly string[] Markers =
        ["API_KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY", "ACCESS_KEY"];

    /// <summary>Whether a variable's name marks it as a credential, e.g. <c>OPENAI_API_KEY</c>, <c>GITHUB_TOKEN</c>, <c>AWS_SECRET_ACCESS_KEY</c>.</summary>
    /// <param name="name">The variable name.</param>
    /// <returns><see langword="true"/> when the variable must not be passed on.</returns>
    public static bool IsSecretName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Markers.Any(marker => name.Contains(marker, StringComparison.OrdinalIgnoreCase));
    }
}
