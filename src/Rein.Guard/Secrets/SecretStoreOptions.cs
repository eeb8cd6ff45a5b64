namespace Rein.Guard.Secrets;

/// <summary>Where a <see cref="SecretStore"/> keeps its file and how it finds its key.</summary>
/// <remarks>
/// The key is <see cref="Key"/> when set, else the key file at <see cref="KeyFilePath"/>, which the first write
/// creates with 32 random bytes (mode 0600) when it does not exist.
/// </remarks>
public sealed class SecretStoreOptions
{
    /// <summary>Gets or sets the encrypted secrets file. Required. The CLI's default is <c>$XDG_DATA_HOME/rein/secrets.bin</c>.</summary>
    public string FilePath { get; set; } = "";

    /// <summary>
    /// Gets or sets the key: the base64 form of 32 bytes (used as the AES-256 key as-is), or any other text, taken as a
    /// passphrase and stretched with PBKDF2-SHA256 and a random salt kept in the file's header. Default: none (the key file is used).
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Gets or sets where <see cref="Key"/> came from, named in error messages. Default: <c>the configured key</c>.</summary>
    public string KeySource { get; set; } = "the configured key";

    /// <summary>
    /// Gets or sets the key file used when <see cref="Key"/> is not set: 32 bytes, as base64 text (or raw). Default: none,
    /// in which case a store without <see cref="Key"/> cannot be read or written. The CLI's default is <c>$XDG_CONFIG_HOME/rein/secrets.key</c>.
    /// </summary>
    public string? KeyFilePath { get; set; }

    /// <summary>Gets or sets the PBKDF2-SHA256 iteration count for a new passphrase-protected file. Default: 600,000 (OWASP's 2023 advice).</summary>
    public int Pbkdf2Iterations { get; set; } = 600_000;

    /// <summary>Gets or sets the clock that stamps each secret's update time. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
