using System.CommandLine;
using System.Globalization;
using Rein.Cli.Composition;
using Rein.Hosting.Configuration;
using Rein.Cli.Rendering;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Identity;
using Rein.Journal;
using Rein.Server.Views;
using Rein.Storage.Sqlite;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein approvals list|approve|deny</c>: answer tool calls that wait for a person, from any terminal.</summary>
internal static class ApprovalsCommand
{
    public static Command Create(Interrupts interrupts)
    {
        var command = new Command("approvals", """
            List and answer tool calls waiting for approval. A session that needs an approval nobody can give at the
            moment (e.g. `rein run` without a terminal) is suspended as awaiting_approval; answer here, then resume it
            with `rein sessions resume SESSION` or pass --resume. Only the approvers the session was started with may
            answer ("approvals" settings of its workspace; default: the user who started it), from any folder. You are
            your operating-system user; to answer as another principal, pass --as NAME with its token in REIN_TOKEN or
            on standard input (rein principals).
            """);
        command.Add(CreateList());
        command.Add(CreateAnswer("approve", "Run the waiting call.", interrupts));
        command.Add(CreateAnswer("deny", "Do not run the waiting call; the reason is sent to the model.", interrupts));
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List tool calls waiting for approval, oldest first.") { CommonOptions.Store, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            using var host = CliLogging.OpenHost(CommonOptions.Resolve(parse));
            var pending = await new ApprovalInbox(host.Store).ListAsync(ct);
            var redact = host.Redactor;
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var p in pending)
                {
                    var line = JsonViews.Approval(p, redact.Redact);
                    await Console.Out.WriteLineAsync(line.ToJsonString(JournalJson.Options));
                }

                return ExitCodes.Success;
            }

            if (pending.Count == 0)
            {
                AnsiConsole.MarkupLine("[grey]No tool calls are waiting for approval.[/]");
                return ExitCodes.Success;
            }

            foreach (var p in pending)
            {
                var expires = p.Expired ? "[red]expired[/]"
                    : $"expires {Markup.Escape(p.Request.ExpiresAt?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "never")}";
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(p.Reference)}[/] · {Markup.Escape(p.Request.Tool)} [grey]· {expires}[/]");
                AnsiConsole.MarkupLine($"  [grey]why: {Markup.Escape(p.Request.Reason)}[/]");
                ApprovalPreview.Create(p.Request.Tool, p.Request.Arguments, p.Workspace, redact.Redact).Write(AnsiConsole.Console, "    ");
                AnsiConsole.WriteLine();
            }

            AnsiConsole.MarkupLine("[grey]Answer with: rein approvals approve SESSION:CALL_ID [[--for-session]] [[--resume]]  or  rein approvals deny SESSION:CALL_ID --reason \"…\"[/]");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateAnswer(string verb, string description, Interrupts interrupts)
    {
        var id = new Argument<string>("ref")
        {
            Description = "The waiting call as rein approvals list shows it, SESSION:CALL_ID (any unique prefix of the session id), " +
                "or just its call id when no other session waits with the same one.",
        };
        var session = new Option<string?>("--session") { Description = "The session the call waits in (its id or a unique prefix); then give just the call id." };
        var reason = new Option<string?>("--reason") { Description = verb == "deny" ? "Why not; the model is told." : "A note kept in the journal." };
        var resume = new Option<bool>("--resume") { Description = "Continue the session right away, in this terminal." };
        var asPrincipal = new Option<string?>("--as")
        {
            Description = "Answer as this principal instead of your OS user. Its token is read from REIN_TOKEN, else from standard input " +
                "(never from the command line, where other users could see it).",
        };
        var command = new Command(verb, description) { id, session, reason, resume, asPrincipal, CommonOptions.Store, CommonOptions.Json };
        Option<bool>? forSession = null;
        if (verb == "approve")
        {
            forSession = new Option<bool>("--for-session") { Description = "Also allow calls like this one for the rest of the session (the suggested rule shown by list)." };
            command.Add(forSession);
        }

        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var settings = CommonOptions.Resolve(parse);
            using var host = CliLogging.OpenHost(settings);
            var decision = verb == "deny" ? ApprovalDecisions.Deny
                : forSession is not null && parse.GetValue(forSession) ? ApprovalDecisions.ApproveSession
                : ApprovalDecisions.ApproveOnce;
            var by = parse.GetValue(asPrincipal) is { } name ? await SignInAsync(settings, name, ct) : host.Approver;
            var inbox = new ApprovalInbox(host.Store);
            var target = ApprovalInbox.Find(await inbox.ListAsync(ct), parse.GetValue(id)!, parse.GetValue(session));
            var (request, decided) = await inbox.AnswerAsync(target, new ApprovalAnswer(decision, by, parse.GetValue(reason)), host.ApprovalOptions, ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                await Console.Out.WriteLineAsync(JsonViews.ApprovalAnswer(request.Reference, request.SessionId, decided.CallId, decided.Decision, decided.By, decided.SessionRule)
                    .ToJsonString(JournalJson.Options));
            }
            else
            {
                var what = decided.Decision switch
                {
                    ApprovalDecisions.Timeout => "expired before it was answered: it counts as denied",
                    ApprovalDecisions.Deny => "denied",
                    ApprovalDecisions.ApproveSession => $"approved, and {decided.SessionRule} is allowed for the rest of the session",
                    _ => "approved",
                };
                await Console.Error.WriteLineAsync($"{request.Reference} ({ApprovalText.Describe(request.Request.Tool, request.Request.Arguments)}) — {what}.");
            }

            if (!parse.GetValue(resume))
            {
                if (!parse.GetValue(CommonOptions.Json))
                {
                    await Console.Error.WriteLineAsync($"Continue the session with: rein sessions resume {request.SessionId}");
                }

                return decided.Decision == ApprovalDecisions.Timeout ? ExitCodes.Incomplete : ExitCodes.Success;
            }

            host.Dispose();
            return await SessionsCommand.ResumeAsync(parse, request.SessionId, null, interrupts, ct);
        }));
        return command;
    }

    /// <summary>Checks that the one answering holds a token of <paramref name="name"/> that may answer approvals.</summary>
    /// <returns>The principal's name.</returns>
    /// <exception cref="ApprovalException">No token, a token that is not <paramref name="name"/>'s (unknown, revoked, mistyped), or a viewer's.</exception>
    private static async Task<string> SignInAsync(ResolvedSettings settings, string name, CancellationToken cancellationToken)
    {
        var token = Environment.GetEnvironmentVariable("REIN_TOKEN") is { Length: > 0 } fromEnv ? fromEnv : await ReadTokenAsync(name, cancellationToken);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new ApprovalException($"--as {name} needs {name}'s token: set REIN_TOKEN or type it on standard input. Nothing was answered.");
        }

        using var store = new SqlitePrincipalStore(new SqliteSessionStoreOptions { Path = settings.StorePath });
        var principal = await new PrincipalDirectory(store).AuthenticateAsync(token, cancellationToken);
        if (principal is null || !string.Equals(principal.Name, name, StringComparison.Ordinal))
        {
            throw new ApprovalException($"That is not a valid token of {name} (unknown, revoked or mistyped). Nothing was answered.");
        }

        if (principal.Role == PrincipalRole.Viewer)
        {
            throw new ApprovalException($"{name} is a viewer: viewers may not answer approvals. Nothing was answered.");
        }

        return principal.Name;
    }

    private static async Task<string?> ReadTokenAsync(string name, CancellationToken cancellationToken) =>
        Console.IsInputRedirected ? await Console.In.ReadLineAsync(cancellationToken) : SecretsCommand.PromptHidden($"Token of {name}: ");
}
