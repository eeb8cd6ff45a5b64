using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rein.Guard.Secrets;

/// <summary>How the file's AES key is obtained.</summary>
internal enum KeyDerivation : byte
{
    /// <summary>The key is 32 raw bytes (a key file, or base64 of 32 bytes in the key setting).</summary>
    Raw = 0,

    /// <summary>The key is PBKDF2-SHA256 of a passphrase with the header's salt and iteration count.</summary>
    Pbkdf2Sha256 = 1,
}

/// <summary>One stored secret.</summary>
internal sealed record SecretEntry(string Value, DateTimeOffset UpdatedAt);

/// <summary>The header of a secrets file; all of it is authenticated as associated data.</summary>
internal sealed record SecretFileHeader(KeyDerivation Derivation, int Iterations, byte[] Salt);

/// <summary>
/// The secrets file format: <c>"REINSECR"</c>, version (1 byte), key derivation (1 byte), PBKDF2 iterations (uint32 LE),
/// salt (16 bytes), nonce (12 bytes), AES-256-GCM tag (16 bytes), then the ciphertext of a UTF-8 JSON document
/// <c>{"secrets":[{"name":…,"value":…,"updated_at":…}]}</c>. Bytes 0–41 are the associated data, so any change to the
/// header fails authentication like a change to the ciphertext.
/// </summary>
internal static class SecretFile
{
    public const int KeySize = 32;
    public const int SaltSize = 16;
    public const int MaxIterations = 10_000_000;
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int AssociatedSize = 8 + 1 + 1 + 4 + SaltSize + NonceSize;
    private const int HeaderSize = AssociatedSize + TagSize;
    private static ReadOnlySpan<byte> Magic => "REINSECR"u8;

    /// <summary>Reads the header without decrypting, so the caller can derive the key it names.</summary>
    public static SecretFileHeader ReadHeader(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length < HeaderSize || !file[..8].SequenceEqual(Magic))
        {
            throw new SecretStoreException($"'{path}' is not a Rein secrets file, or it is damaged.");
        }

        if (file[8] != Version)
        {
            throw new SecretStoreException($"'{path}' has secrets file format {file[8]}; this version of Rein reads format {Version}.");
        }

        var derivation = (KeyDerivation)file[9];
        var iterations = BinaryPrimitives.ReadUInt32LittleEndian(file[10..14]);
        if (derivation is not (KeyDerivation.Raw or KeyDerivation.Pbkdf2Sha256)
            || (derivation == KeyDerivation.Pbkdf2Sha256 && iterations is 0 or > MaxIterations))
        {
            throw new SecretStoreException($"'{path}' is not a Rein secrets file, or it is damaged.");
        }

        return new SecretFileHeader(derivation, (int)iterations, file[14..(14 + SaltSize)].ToArray());
    }

    /// <summary>Decrypts and parses a file.</summary>
    /// <exception cref="SecretStoreException">Authentication failed (wrong key or changed file) or the content is damaged.</exception>
    public static Dictionary<string, SecretEntry> Decrypt(ReadOnlySpan<byte> file, ReadOnlySpan<byte> key, string path, string keySource)
    {
        var nonce = file.Slice(AssociatedSize - NonceSize, NonceSize);
        var tag = file.Slice(AssociatedSize, TagSize);
        var ciphertext = file[HeaderSize..];
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using (var aes = new AesGcm(key, TagSize))
            {
                aes.Decrypt(nonce, ciphertext, tag, plaintext, file[..AssociatedSize]);
            }

            return Parse(plaintext, path);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new SecretStoreException(
                $"Cannot decrypt the secrets file '{path}': the key ({keySource}) is wrong, or the file was changed. Nothing was read or written.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Serializes and encrypts the secrets under a fresh random nonce.</summary>
    public static byte[] Encrypt(IReadOnlyDictionary<string, SecretEntry> secrets, SecretFileHeader header, ReadOnlySpan<byte> key)
    {
        var plaintext = Serialize(secrets);
        try
        {
            var file = new byte[HeaderSize + plaintext.Length];
            Magic.CopyTo(file);
            file[8] = Version;
            file[9] = (byte)header.Derivation;
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(10, 4), (uint)header.Iterations);
            header.Salt.CopyTo(file.AsSpan(14, SaltSize));
            var nonce = file.AsSpan(AssociatedSize - NonceSize, NonceSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(key, TagSize);
            aes.Encrypt(nonce, plaintext, file.AsSpan(HeaderSize), file.AsSpan(AssociatedSize, TagSize), file.AsSpan(0, AssociatedSize));
            return file;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Serialize(IReadOnlyDictionary<string, SecretEntry> secrets)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("secrets");
            foreach (var (name, entry) in secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                writer.WriteStartObject();
                writer.WriteString("name", name);
                writer.WriteString("value", entry.Value);
                writer.WriteString("updated_at", entry.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var bytes = buffer.WrittenSpan.ToArray();
        buffer.Clear();
        return bytes;
    }

    private static Dictionary<string, SecretEntry> Parse(byte[] plaintext, string path)
    {
        var secrets = new Dictionary<string, SecretEntry>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(plaintext);
            foreach (var item in document.RootElement.GetProperty("secrets").EnumerateArray())
            {
                var name = item.GetProperty("name").GetString();
                var value = item.GetProperty("value").GetString();
                if (name is null || value is null || !SecretStore.IsValidName(name))
                {
                    throw new FormatException("A secret has no valid name or value.");
                }

                secrets[name] = new SecretEntry(value, DateTimeOffset.Parse(item.GetProperty("updated_at").GetString()!, CultureInfo.InvariantCulture));
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentNullException)
        {
            throw new SecretStoreException($"The secrets file '{path}' decrypted but its content is damaged.", ex);
        }

        return secrets;
    }

    /// <summary>Describes the key encoding for messages.</summary>
    public static string Describe(KeyDerivation derivation) => derivation switch
    {
        KeyDerivation.Raw => "a 32-byte key",
        KeyDerivation.Pbkdf2Sha256 => "a passphrase",
        _ => derivation.ToString(),
    };

    /// <summary>Stretches a passphrase into an AES-256 key.</summary>
    public static byte[] DeriveKey(string passphrase, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, KeySize);
}
