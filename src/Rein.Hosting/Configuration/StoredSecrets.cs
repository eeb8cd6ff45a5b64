using Rein.Guard.Secrets;

namespace Rein.Hosting.Configuration;

/// <summary>Where the user's secret store and its key are, and opening it for a run.</summary>
internal static class StoredSecrets
{
    /// <summary>The variable that holds the key (base64 of 32 bytes) instead of the key file.</summary>
    public const string KeyVariable = "REIN_SECRETS_KEY";

    /// <summary>The secret store's file, key and key file for this environment.</summary>
    public static SecretStoreOptions Options(Func<string, string?> env) => new()
    {
        FilePath = ReinPaths.SecretsFile(env),
        Key = env(KeyVariable),
        KeySource = KeyVariable,
        KeyFilePath = ReinPaths.SecretsKeyFile(env),
    };

    /// <summary>Opens the secret store for a run, or returns null when there is no secrets file (then no key is needed).</summary>
    /// <exception cref="SecretStoreException">The file exists but cannot be decrypted.</exception>
    public static SecretStore? OpenExisting(Func<string, string?> env)
    {
        var options = Options(env);
        return File.Exists(options.FilePath) ? SecretStore.Open(options) : null;
    }
}
