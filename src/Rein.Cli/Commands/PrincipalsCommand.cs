using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Rein.Cli.Rendering;
using Rein.Identity;
using Rein.Journal;
using Rein.Storage.Sqlite;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein principals add|list|rm|token|link|unlink</c>: the people and services known to a store, and their API tokens.</summary>
internal static class PrincipalsCommand
{
    public static Command Create()
    {
        var command = new Command("principals", """
            Manage the principals (people and services) of the session store and their API tokens. A principal has a role:
            viewer (reads), operator (starts and continues sessions, answers approvals where "approvals.approvers" names it)
            or owner (everything, including principals). You, the operating-system user running rein, are the owner of
            your store. A token is printed once, when it is made; the store keeps only its hash. Answer an approval as
            another principal with: REIN_TOKEN=... rein approvals approve CALL_ID --as NAME
            Link a principal's accounts on other surfaces with: rein principals link NAME slack:U024BE7LH telegram:123456789
            """);
        command.Add(CreateAdd());
        command.Add(CreateList());
        command.Add(CreateRemove());
        command.Add(CreateToken());
        command.Add(CreateLink(unlink: false));
        command.Add(CreateLink(unlink: true));
        return command;
    }

    private static Argument<string> NameArgument() => new("name") { Description = "The principal's name: letters, digits and . _ - @." };

    private static Command CreateAdd()
    {
        var name = NameArgument();
        var role = new Option<string>("--role")
        {
            Description = "owner, operator or viewer.",
            Required = true,
        };
        role.AcceptOnlyFromAmong("owner", "operator", "viewer");
        var command = new Command("add", "Add a principal and print its first token (shown once).") { name, role, CommonOptions.Store, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            if (!PrincipalRoles.TryParse(parse.GetValue(role), out var parsed))
            {
                throw new Hosting.Configuration.SettingsException("--role must be owner, operator or viewer.");
            }

            var (directory, owner, store) = await OpenAsync(parse, ct);
            using (store)
            {
                var issued = await directory.AddAsync(owner, parse.GetValue(name)!, parsed, ct);
                await PrintTokenAsync(issued, parse.GetValue(CommonOptions.Json), $"Added {issued.Principal.Name} ({PrincipalRoles.ToName(issued.Principal.Role)}).");
                return ExitCodes.Success;
            }
        }));
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the principals and their roles.") { CommonOptions.Store, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (directory, owner, store) = await OpenAsync(parse, ct);
            using (store)
            {
                var principals = await directory.ListAsync(owner, ct);
                var linked = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                foreach (var p in principals)
                {
                    linked[p.Name] = await directory.IdentitiesAsync(owner, p.Name, ct);
                }

                if (parse.GetValue(CommonOptions.Json))
                {
                    foreach (var p in principals)
                    {
                        await Console.Out.WriteLineAsync(new JsonObject
                        {
                            ["name"] = p.Name,
                            ["role"] = PrincipalRoles.ToName(p.Role),
                            ["created_at"] = p.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                            ["identities"] = new JsonArray([.. linked[p.Name].Select(identity => JsonValue.Create(identity))]),
                        }.ToJsonString(JournalJson.Options));
                    }

                    return ExitCodes.Success;
                }

                var table = new Table().Border(TableBorder.Simple).AddColumns("name", "role", "added", "linked accounts");
                foreach (var p in principals)
                {
                    table.AddRow(
                        Markup.Escape(p.Name == owner.Name ? $"{p.Name} (you)" : p.Name),
                        PrincipalRoles.ToName(p.Name == owner.Name ? owner.Role : p.Role),
                        p.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
                        Markup.Escape(string.Join(", ", linked[p.Name])));
                }

                AnsiConsole.Write(table);
                return ExitCodes.Success;
            }
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var name = NameArgument();
        var command = new Command("rm", "Remove a principal and all its tokens.") { name, CommonOptions.Store };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (directory, owner, store) = await OpenAsync(parse, ct);
            using (store)
            {
                await directory.RemoveAsync(owner, parse.GetValue(name)!, ct);
                await Console.Error.WriteLineAsync($"Removed {parse.GetValue(name)} and its tokens.");
                return ExitCodes.Success;
            }
        }));
        return command;
    }

    private static Command CreateToken()
    {
        var name = NameArgument();
        var revokeAll = new Option<bool>("--revoke-all") { Description = "Revoke every token of the principal instead (none is issued)." };
        var command = new Command("token", "Issue another token to a principal (shown once; its other tokens stay valid), or revoke them all.")
        {
            name, revokeAll, CommonOptions.Store, CommonOptions.Json,
        };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (directory, owner, store) = await OpenAsync(parse, ct);
            using (store)
            {
                var principal = parse.GetValue(name)!;
                if (!parse.GetValue(revokeAll))
                {
                    var issued = await directory.IssueTokenAsync(owner, principal, ct);
                    await PrintTokenAsync(issued, parse.GetValue(CommonOptions.Json), $"New token of {principal}.");
                    return ExitCodes.Success;
                }

                var revoked = await directory.RevokeTokensAsync(owner, principal, ct);
                if (parse.GetValue(CommonOptions.Json))
                {
                    await Console.Out.WriteLineAsync(new JsonObject { ["name"] = principal, ["revoked"] = revoked }.ToJsonString(JournalJson.Options));
                }
                else
                {
                    await Console.Error.WriteLineAsync($"Revoked {Plural.Of(revoked, "token")} of {principal}. Issue a new one with: rein principals token {principal}");
                }

                return ExitCodes.Success;
            }
        }));
        return command;
    }

    private static Command CreateLink(bool unlink)
    {
        var name = NameArgument();
        var identities = new Argument<string[]>("account")
        {
            Description = "SURFACE:ID, e.g. slack:U024BE7LH (a Slack user id) or telegram:123456789 (a Telegram user id); one or more.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = unlink
            ? new Command("unlink", "Unlink accounts on other surfaces from a principal.") { name, identities, CommonOptions.Store, CommonOptions.Json }
            : new Command("link", """
                Link accounts on other surfaces (Slack, Telegram) to a principal: a message from a linked account acts as
                that principal; accounts that are not linked start nothing. An account belongs to one principal.
                """) { name, identities, CommonOptions.Store, CommonOptions.Json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var (directory, owner, store) = await OpenAsync(parse, ct);
            using (store)
            {
                var principal = parse.GetValue(name)!;
                var accounts = parse.GetValue(identities)!;
                var linked = unlink
                    ? await directory.UnlinkAsync(owner, principal, accounts, ct)
                    : await directory.LinkAsync(owner, principal, accounts, ct);
                if (parse.GetValue(CommonOptions.Json))
                {
                    await Console.Out.WriteLineAsync(new JsonObject
                    {
                        ["name"] = principal,
                        ["identities"] = new JsonArray([.. linked.Select(identity => JsonValue.Create(identity))]),
                    }.ToJsonString(JournalJson.Options));
                }
                else
                {
                    await Console.Error.WriteLineAsync(
                        $"{(unlink ? "Unlinked" : "Linked")} {string.Join(", ", accounts)} {(unlink ? "from" : "to")} {principal}. " +
                        (linked.Count == 0 ? "It has no linked accounts now." : $"Linked to it: {string.Join(", ", linked)}."));
                }

                return ExitCodes.Success;
            }
        }));
        return command;
    }

    /// <summary>Opens the store's principals as the local owner (the operating-system user).</summary>
    private static async Task<(PrincipalDirectory Directory, PrincipalRecord Owner, SqlitePrincipalStore Store)> OpenAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var settings = CommonOptions.Resolve(parse);
        var store = new SqlitePrincipalStore(new SqliteSessionStoreOptions { Path = settings.StorePath });
        try
        {
            var directory = new PrincipalDirectory(store);
            return (directory, await directory.EnsureLocalOwnerAsync(LocalUser.Name, cancellationToken), store);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static async Task PrintTokenAsync(IssuedToken issued, bool json, string headline)
    {
        if (json)
        {
            await Console.Out.WriteLineAsync(new JsonObject
            {
                ["name"] = issued.Principal.Name,
                ["role"] = PrincipalRoles.ToName(issued.Principal.Role),
                ["token"] = issued.Token,
            }.ToJsonString(JournalJson.Options));
            return;
        }

        await Console.Error.WriteLineAsync($"{headline} Its token is shown only now; keep it like a password:");
        await Console.Out.WriteLineAsync(issued.Token);
    }
}
