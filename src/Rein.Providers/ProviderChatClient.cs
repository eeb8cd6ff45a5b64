using Microsoft.Extensions.AI;

namespace Rein.Providers;

/// <summary>The client handed out by <see cref="ModelProviders.Create"/>: owns and disposes the HTTP resources behind an SDK adapter.</summary>
internal sealed class ProviderChatClient(IChatClient inner, IEnumerable<IDisposable> owned) : DelegatingChatClient(inner)
{
    private readonly IDisposable[] _owned = [.. owned];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var resource in _owned)
            {
                resource.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
