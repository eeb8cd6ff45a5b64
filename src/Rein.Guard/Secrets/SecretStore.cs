using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Rein.Tools;

namespace Rein.Guard.Secrets;

/// <summary>
/// Named secrets in one encrypted file (AES-256-GCM), for commands the agent runs. The model only ever sees the names.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe. <see cref="Open"/> reads the file once; reads are served from memory. Each write re-reads the file
/// under an exclusive lock on <c>FILE.lock</c> (so concurrent processes do not lose each other's changes), then
/// replaces it atomically (a 0600 temporary file renamed over it): a failed write leaves the old file as it was.
/// </para>
/// <para>
/// A store whose file does not exist needs no key until the first write, which creates the key file
/// (<see cref="SecretStoreOptions.KeyFilePath"/>, 32 random bytes, mode 0600) unless a key is given.
/// </para>
/// </remarks>
public sealed class SecretStore : ISecretResolver
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private static readonly SearchValues<char> NameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");

    private readonly SecretStoreOptions _options;
    private readonly Lock _gate = new();
    private Snapshot _snapshot = new(new Dictionary<string, SecretEntry>(StringComparer.Ordinal), null, null);

    private SecretStore(SecretStoreOptions options) => _options = options;

    /// <summary>Gets the encrypted secrets file.</summary>
    public string FilePath => _options.FilePath;

    /// <summary>Gets how many secrets are stored.</summary>
    public int Count => Volatile.Read(ref _snapshot).Secrets.Count;

    /// <inheritdoc />
    public IReadOnlyCollection<string> SecretNames => Volatile.Read(ref _snapshot).Names;

    /// <summary>Opens a store, reading and decrypting its file when it exists.</summary>
    /// <param name="options">The file and key settings.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException"><see cref="SecretStoreOptions.FilePath"/> is empty, or the PBKDF2 iteration count is out of range.</exception>
    /// <exception cref="SecretStoreException">The file exists but the key is missing or wrong, the file is damaged or changed, or it cannot be read.</exception>
    public static SecretStore Open(SecretStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FilePath, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Pbkdf2Iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Pbkdf2Iterations, SecretFile.MaxIterations);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        var store = new SecretStore(options);
        store._snapshot = store.Load();
        return store;
    }

    /// <summary>Whether a name can name a secret: an environment variable name, <c>[A-Za-z_][A-Za-z0-9_]*</c>.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when the name is valid.</returns>
    public static bool IsValidName([NotNullWhen(true)] string? name) =>
        name is { Length: > 0 }
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.AsSpan(1).ContainsAnyExcept(NameChars) is false;

    /// <summary>Looks up a secret's value.</summary>
    /// <param name="name">The secret's name.</param>
    /// <param name="value">The value, when the secret exists.</param>
    /// <returns><see langword="true"/> when a secret with that name exists.</returns>
    public bool TryGet(string name, [MaybeNullWhen(false)] out string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Volatile.Read(ref _snapshot).Secrets.TryGetValue(name, out var entry))
        {
            value = entry.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <inheritdoc />
    bool ISecretResolver.TryGetSecret(string name, [MaybeNullWhen(false)] out string value) => TryGet(name, out value);

    /// <summary>Adds a secret or replaces its value, and writes the file.</summary>
    /// <param name="name">The name, <c>[A-Za-z_][A-Za-z0-9_]*</c>.</param>
    /// <param name="value">The value; not empty, no NUL characters (it becomes an environment variable).</param>
    /// <param name="cancellationToken">A token to cancel the operation before it writes.</param>
    /// <returns>A task that completes when the file is replaced.</returns>
    /// <exception cref="ArgumentException">The name is not valid, or the value is empty or holds a NUL character.</exception>
    /// <exception cref="SecretStoreException">The file cannot be read with the key, or cannot be written; it is left unchanged.</exception>
    /// <remarks>Completes synchronously: the file is small.</remarks>
    public ValueTask SetAsync(string name, string value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid secret name: use letters, digits and '_', not starting with a digit (e.g. GITHUB_TOKEN).", nameof(name));
        }

        if (value.Length == 0 || value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A secret value must not be empty or contain NUL characters.", nameof(value));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var now = _options.TimeProvider.GetUtcNow();
        Mutate(secrets =>
        {
            secrets[name] = new SecretEntry(value, now);
            return true;
        });
        return ValueTask.CompletedTask;
    }

    /// <summary>Removes a secret and writes the file.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cancellationToken">A token to cancel the operation before it writes.</param>
    /// <returns><see langword="true"/> when the secret existed and was removed.</returns>
    /// <exception cref="SecretStoreException">The file cannot be read with the key, or cannot be written; it is left unchanged.</exception>
    /// <remarks>Completes synchronously: the file is small.</remarks>
    public ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(File.Exists(FilePath) && Mutate(secrets => secrets.Remove(name)));
    }

    /// <summary>Lists the stored secrets' names and update times, never their values.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The secrets, in ordinal name order.</returns>
    public ValueTask<IReadOnlyList<SecretInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var secrets = Volatile.Read(ref _snapshot).Secrets;
        return ValueTask.FromResult<IReadOnlyList<SecretInfo>>(
            [.. secrets.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new SecretInfo(s.Key, s.Value.UpdatedAt))]);
    }

    /// <summary>Gets every name and value, for building a redactor in this assembly.</summary>
    internal IReadOnlyDictionary<string, SecretEntry> Entries => Volatile.Read(ref _snapshot).Secrets;

    private bool Mutate(Func<Dictionary<string, SecretEntry>, bool> change)
    {
        lock (_gate)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(FilePath))!;
            Guarded(() => Directory.CreateDirectory(folder), "create the folder of");
            using var fileLock = AcquireFileLock();

            // Another process may have written since this store read the file: start from what is on disk now.
            var current = Load();
            var secrets = new Dictionary<string, SecretEntry>(current.Secrets, StringComparer.Ordinal);
            if (!change(secrets))
            {
                Volatile.Write(ref _snapshot, current);
                return false;
            }

            var (header, key) = current.Header is { } existing ? (existing, current.Key!) : NewKey();
            var bytes = SecretFile.Encrypt(secrets, header, key);
            WriteAtomically(bytes);
            Volatile.Write(ref _snapshot, new Snapshot(secrets, header, key));
            return true;
        }
    }

    private Snapshot Load()
    {
        if (!File.Exists(FilePath))
        {
            return new Snapshot(new Dictionary<string, SecretEntry>(StringComparer.Ordinal), null, null);
        }

        var bytes = Guarded(() => File.ReadAllBytes(FilePath), "read");
        var header = SecretFile.ReadHeader(bytes, FilePath);
        var key = KeyFor(header);
        return new Snapshot(SecretFile.Decrypt(bytes, key, FilePath, DescribeKeySource()), header, key);
    }

    private byte[] KeyFor(SecretFileHeader header)
    {
        var previous = Volatile.Read(ref _snapshot);
        if (previous.Header is { } known && previous.Key is { } knownKey
            && known.Derivation == header.Derivation && known.Iterations == header.Iterations && known.Salt.AsSpan().SequenceEqual(header.Salt))
        {
            return knownKey;
        }

        var given = ResolveKey(create: false) ?? throw new SecretStoreException(header.Derivation == KeyDerivation.Pbkdf2Sha256
            ? $"The secrets file '{FilePath}' is protected by a passphrase, but no key was given ({_options.KeySource} is not set)."
            : $"The secrets file '{FilePath}' exists but its key was not found: {_options.KeySource} is not set and there is no key file '{_options.KeyFilePath}'. Restore the key file, or move the secrets file away to start over.");
        if (given.Derivation != header.Derivation)
        {
            throw new SecretStoreException(
                $"The secrets file '{FilePath}' is encrypted with {SecretFile.Describe(header.Derivation)}, but {given.Source} is {SecretFile.Describe(given.Derivation)}. Nothing was read or written.");
        }

        return given.Raw ?? SecretFile.DeriveKey(given.Passphrase!, header.Salt, header.Iterations);
    }

    private (SecretFileHeader Header, byte[] Key) NewKey()
    {
        var given = ResolveKey(create: true) ?? throw new SecretStoreException(
            $"No key to encrypt the secrets file '{FilePath}': set {_options.KeySource} or configure a key file.");
        var salt = RandomNumberGenerator.GetBytes(SecretFile.SaltSize);
        return given.Derivation == KeyDerivation.Pbkdf2Sha256
            ? (new SecretFileHeader(KeyDerivation.Pbkdf2Sha256, _options.Pbkdf2Iterations, salt), SecretFile.DeriveKey(given.Passphrase!, salt, _options.Pbkdf2Iterations))
            : (new SecretFileHeader(KeyDerivation.Raw, 0, salt), given.Raw!);
    }

    private string DescribeKeySource() => _options.Key is { Length: > 0 } ? _options.KeySource : $"key file '{_options.KeyFilePath}'";

    private GivenKey? ResolveKey(bool create)
    {
        if (_options.Key is { Length: > 0 } text)
        {
            var raw = new byte[SecretFile.KeySize];
            return Convert.TryFromBase64String(text.Trim(), raw, out var written) && written == SecretFile.KeySize
                ? new GivenKey(KeyDerivation.Raw, raw, null, _options.KeySource)
                : new GivenKey(KeyDerivation.Pbkdf2Sha256, null, text, _options.KeySource);
        }

        if (_options.KeyFilePath is not { Length: > 0 } keyFile)
        {
            return null;
        }

        var source = $"the key file '{keyFile}'";
        if (File.Exists(keyFile))
        {
            return new GivenKey(KeyDerivation.Raw, ReadKeyFile(keyFile), null, source);
        }

        return create ? new GivenKey(KeyDerivation.Raw, CreateKeyFile(keyFile), null, source) : null;
    }

    private static byte[] ReadKeyFile(string path)
    {
        var bytes = Guarded(() => File.ReadAllBytes(path), "read the key file", path);
        if (bytes.Length == SecretFile.KeySize)
        {
            return bytes;
        }

        var key = new byte[SecretFile.KeySize];
        var text = System.Text.Encoding.ASCII.GetString(bytes).Trim();
        return Convert.TryFromBase64String(text, key, out var written) && written == SecretFile.KeySize
            ? key
            : throw new SecretStoreException($"The key file '{path}' does not hold a 32-byte key (base64).");
    }

    private static byte[] CreateKeyFile(string path)
    {
        var key = RandomNumberGenerator.GetBytes(SecretFile.KeySize);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Guarded(() => Directory.CreateDirectory(folder), "create the folder of the key file", path);
        try
        {
            using var stream = new FileStream(path, CreateOptions());
            stream.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key) + "\n"));
            stream.Flush(flushToDisk: true);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use that one, so both encrypt with the same key.
            return ReadKeyFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SecretStoreException($"Cannot create the key file '{path}': {ex.Message}", ex);
        }
    }

    private void WriteAtomically(byte[] bytes)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(FilePath))!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(FilePath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, CreateOptions()))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new SecretStoreException($"Cannot write the secrets file '{FilePath}': {ex.Message} It was left unchanged.", ex);
        }
    }

    private FileStream AcquireFileLock()
    {
        var path = FilePath + ".lock";
        var deadline = _options.TimeProvider.GetTimestamp();
        while (true)
        {
            try
            {
                var options = CreateOptions();
                options.Mode = FileMode.OpenOrCreate;
                return new FileStream(path, options);
            }
            catch (IOException) when (_options.TimeProvider.GetElapsedTime(deadline) < LockTimeout)
            {
                // Held by another process that is writing: its write takes milliseconds.
                Thread.Sleep(50);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SecretStoreException($"Cannot lock the secrets file '{FilePath}' ({path}): {ex.Message}", ex);
            }
        }
    }

    private static FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        return options;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private T Guarded<T>(Func<T> action, string what) => Guarded(action, what + " the secrets file", FilePath);

    private static T Guarded<T>(Func<T> action, string what, string path)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SecretStoreException($"Cannot {what} '{path}': {ex.Message}", ex);
        }
    }

    private sealed record Snapshot(Dictionary<string, SecretEntry> Secrets, SecretFileHeader? Header, byte[]? Key)
    {
        public IReadOnlyCollection<string> Names { get; } = [.. Secrets.Keys.Order(StringComparer.Ordinal)];
    }

    private sealed record GivenKey(KeyDerivation Derivation, byte[]? Raw, string? Passphrase, string Source);
}

/// <summary>A stored secret as listed: its name and when it was last set, never its value.</summary>
/// <param name="Name">The secret's name.</param>
/// <param name="UpdatedAt">When the secret was last set.</param>
public sealed record SecretInfo(string Name, DateTimeOffset UpdatedAt);
