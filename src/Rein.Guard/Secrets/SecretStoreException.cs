namespace Rein.Guard.Secrets;

/// <summary>
/// Thrown when the secrets file cannot be read or written: a wrong or missing key, a damaged or changed file, or a
/// file-system error. The message says what happened and what to do, and never contains a secret value.
/// </summary>
public sealed class SecretStoreException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public SecretStoreException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public SecretStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure.</param>
    public SecretStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
