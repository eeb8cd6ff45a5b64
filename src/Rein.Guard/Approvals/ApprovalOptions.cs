using System.Text.Json;
using Rein.Identity;
using Rein.Journal;

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

    /// <summary>Gets or sets the principal who starts the session, its approver when <see cref="Approvers"/> is empty. Default: the local user (<see cref="LocalUser.Name"/>).</summary>
    public string Principal { get; set; } = LocalUser.Name;

    /// <summary>Gets whether a principal may answer approval requests.</summary>
    /// <param name="principal">The principal who wants to answer.</param>
    /// <returns><see langword="true"/> when allowed.</returns>
    public bool MayApprove(string principal) =>
        Approvers.Count == 0 ? string.Equals(principal, Principal, StringComparison.Ordinal) : Approvers.Contains(principal);

    /// <summary>Gets the approvers as a sentence part, e.g. <c>alice, bob</c>.</summary>
    public string DescribeApprovers() => Approvers.Count == 0 ? Principal : string.Join(", ", Approvers);

    /// <summary>Gets these options as journaled at a session's start: the approvers (the starting principal when none are named) and the timeout.</summary>
    /// <returns>The journaled form.</returns>
    public SessionApprovals ToJournal() =>
        new(Approvers.Count == 0 ? [Principal] : [.. Approvers], (long)Math.Ceiling(Timeout.TotalSeconds));

    /// <summary>
    /// Gets the options that govern a session: those journaled at its start (<see cref="SessionState.Approvals"/>),
    /// whatever the settings where the question is answered say; for a session journaled before approvals were recorded, these options.
    /// </summary>
    /// <param name="state">The session's state.</param>
    /// <returns>The options to judge the session's approvals by.</returns>
    public ApprovalOptions For(SessionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Approvals is not { } journaled)
        {
            return this;
        }

        var options = new ApprovalOptions { Timeout = TimeSpan.FromSeconds(journaled.TimeoutSeconds), Principal = state.Principal ?? Principal };
        foreach (var approver in journaled.Approvers)
        {
            options.Approvers.Add(approver);
        }

        return options;
    }

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
