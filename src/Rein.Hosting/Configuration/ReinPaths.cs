namespace Rein.Hosting.Configuration;

/// <summary>Where Rein keeps its files, following the XDG conventions on Linux.</summary>
internal static class ReinPaths
{
    /// <summary>The user's config folder: <c>$REIN_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/rein</c>, else <c>~/.config/rein</c>.</summary>
    public static string UserConfigDirectory(Func<string, string?> env) =>
        env("REIN_CONFIG_DIR") is { Length: > 0 } dir ? dir
        : Path.Combine(env("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Home(env), ".config"), "rein");

    /// <summary>The user's data folder: <c>$XDG_DATA_HOME/rein</c>, else <c>~/.local/share/rein</c>.</summary>
    public static string UserDataDirectory(Func<string, string?> env) =>
        Path.Combine(env("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Home(env), ".local", "share"), "rein");

    /// <summary>The default session store file.</summary>
    public static string DefaultStore(Func<string, string?> env) => Path.Combine(UserDataDirectory(env), "rein.db");

    /// <summary>The encrypted secrets file: <c>$REIN_SECRETS_FILE</c>, else <c>secrets.bin</c> in the user's data folder.</summary>
    public static string SecretsFile(Func<string, string?> env) =>
        env("REIN_SECRETS_FILE") is { Length: > 0 } file ? file : Path.Combine(UserDataDirectory(env), "secrets.bin");

    /// <summary>The secrets key file: <c>$REIN_SECRETS_KEY_FILE</c>, else <c>secrets.key</c> in the user's config folder.</summary>
    public static string SecretsKeyFile(Func<string, string?> env) =>
        env("REIN_SECRETS_KEY_FILE") is { Length: > 0 } file ? file : Path.Combine(UserConfigDirectory(env), "secrets.key");

    private static string Home(Func<string, string?> env) =>
        env("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
}
