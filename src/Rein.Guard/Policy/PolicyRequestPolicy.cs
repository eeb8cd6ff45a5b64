using System.Net;
using System.Text.Json;
using Rein.Engine;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Policy;

/// <summary>Lets a tool call consult the policy for the destinations it reaches beyond the URL it was judged on.</summary>
/// <remarks>
/// Judges a redirect as if the model had asked for its URL with the same tool, with the session's rules as they are at
/// that moment; only <c>allow</c> lets it through, since nobody is asked in the middle of a call. Thread-safe.
/// </remarks>
internal sealed class PolicyRequestPolicy(PolicyEngine policy, ToolCall call) : IRequestPolicy
{
    public string? CheckRedirect(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("url", url.AbsoluteUri);
            writer.WriteEndObject();
        }

        using var arguments = JsonDocument.Parse(buffer.WrittenMemory);
        var verdict = policy.Evaluate(new PolicyRequest(call.Request.Name, arguments.RootElement, call.Tool?.Definition.ReadOnly ?? false, call.Session.State.SessionRules));
        return verdict.Decision == PolicyDecisions.Allow ? null : verdict.Reason;
    }

    public bool NamesDestination(Uri url, IPAddress address) =>
        policy.NamesDestination(call.Request.Name, url, address, call.Session.State.SessionRules);
}
