using System.Text.Json;

namespace Rein.Guard.Approvals;

/// <summary>How approval requests are shown to people.</summary>
public static class ApprovalText
{
    /// <summary>Describes a call's arguments in one line for an approver.</summary>
    /// <param name="tool">The tool name.</param>
    /// <param name="arguments">The arguments.</param>
    /// <returns>E.g. <c>shell: rm -rf build</c>.</returns>
    public static string Describe(string tool, JsonElement? arguments)
    {
        if (arguments is { ValueKind: JsonValueKind.Object } args)
        {
            foreach (var key in new[] { "command", "path", "url" })
            {
                if (args.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return $"{tool}: {value.GetString()}";
                }
            }

            return $"{tool} {args.GetRawText()}";
        }

        return tool;
    }
}
