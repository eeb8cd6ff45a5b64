using System.Text.Json;

namespace Rein.Guard.Approvals;

/// <summary>Who may approve tool calls and how long a request waits.</summary>
public sealed class ApprovalOptions
{
    /// <summary>Gets or sets how long an approval request waits before it counts as denied. Default: 24 hours.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Gets the principals allowed to approve. Default: empty, which lets the principal who runs the session
    /// (the local user) approve, and nobody else.
    /// </summary>
    public IList<string> Approvers { get; } = [];

    /// <summary>Gets or sets the principal running the session (the default approver). Default: the local user name.</summary>
    public string Principal { get; set; } = Environment.UserName;

    /// <summary>Gets whether a principal may answer approval requests.</summary>
    /// <param name="principal">The principal who wants to answer.</param>
    /// <returns><see langword="true"/> when allowed.</returns>
    public bool MayApprove(string principal) =>
        Approvers.Count == 0 ? string.Equals(principal, Principal, StringComparison.Ordinal) : Approvers.Contains(principal);

    /// <summary>Reads the <c>approvals</c> section of a settings file into these options: <c>{"approvers": ["alice"], "timeout": "2h"}</c>.</summary>
    /// <param name="root">The settings file's root object.</param>
    /// <param name="path">The file, for error messages.</param>
    /// <exception cref="FormatException">A key has the wrong type or value; the message names the file and key.</exception>
    public void Read(JsonElement root, string path)
    {
        if (!root.TryGetProperty("approvals", out var section) || section.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{path}: \"approvals\" must be an object, e.g. {{\"approvers\": [\"alice\"], \"timeout\": \"2h\"}}.");
        }

        if (section.TryGetProperty("timeout", out var timeout))
        {
            try
            {
                Timeout = Budgets.BudgetLimits.ParseDuration(timeout.ValueKind == JsonValueKind.String ? timeout.GetString()! : timeout.GetRawText());
            }
            catch (FormatException ex)
            {
                throw new FormatException($"{path}: approvals.timeout: {ex.Message}");
            }
        }

        if (section.TryGetProperty("approvers", out var approvers))
        {
            if (approvers.ValueKind != JsonValueKind.Array || approvers.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
            {
                throw new FormatException($"{path}: approvals.approvers must be a list of principal names.");
            }

            Approvers.Clear();
            foreach (var approver in approvers.EnumerateArray())
            {
                Approvers.Add(approver.GetString()!);
            }
        }
    }
}
