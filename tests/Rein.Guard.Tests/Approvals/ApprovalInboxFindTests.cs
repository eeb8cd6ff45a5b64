using Rein.Guard.Approvals;
using Rein.Journal;

namespace Rein.Guard.Tests.Approvals;

public sealed class ApprovalInboxFindTests
{
    private static PendingApproval Waiting(string session, string callId) =>
        new(session, "/ws", new ApprovalRequested(callId, "shell", null, "ask mode"), DateTimeOffset.UnixEpoch, false)
        {
            Reference = $"{session[..4]}:{callId}",
        };

    // The same provider call id waiting in three sessions, as three `rein run` processes leave it.
    private static readonly PendingApproval[] Three = [Waiting("aaaa1111", "call_2_1"), Waiting("bbbb2222", "call_2_1"), Waiting("bbbb3333", "call_2_1")];

    [Fact]
    public void Find_SessionPrefixAndCallId_FindsThatOne()
    {
        Assert.Equal("bbbb3333", ApprovalInbox.Find(Three, "bbbb3:call_2_1").SessionId);
        Assert.Equal("aaaa1111", ApprovalInbox.Find(Three, "aaaa1111:call_2").SessionId);
    }

    [Fact]
    public void Find_BareCallIdWaitingInSeveralSessions_AmbiguousListingEveryRef()
    {
        var error = Assert.Throws<AmbiguousApprovalException>(() => ApprovalInbox.Find(Three, "call_2_1"));

        Assert.Equal(["aaaa:call_2_1", "bbbb:call_2_1", "bbbb:call_2_1"], error.References);
        Assert.Contains("aaaa:call_2_1, bbbb:call_2_1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_SessionPrefixShared_Ambiguous()
    {
        Assert.Throws<AmbiguousApprovalException>(() => ApprovalInbox.Find(Three, "bbbb:call_2_1"));
    }

    [Fact]
    public void Find_SessionOption_NarrowsABareCallId()
    {
        Assert.Equal("bbbb2222", ApprovalInbox.Find(Three, "call_2_1", session: "bbbb2").SessionId);
        Assert.Throws<ApprovalException>(() => ApprovalInbox.Find(Three, "call_2_1", session: "cccc"));
    }

    [Fact]
    public void Find_BareCallIdUniqueAcrossSessions_FindsIt()
    {
        PendingApproval[] pending = [Waiting("aaaa1111", "call_1_1"), Waiting("bbbb2222", "call_2_1"), Waiting("cccc3333", "call_2_10")];

        Assert.Equal("aaaa1111", ApprovalInbox.Find(pending, "call_1").SessionId);
        // An exact call id wins over longer ones it begins.
        Assert.Equal("bbbb2222", ApprovalInbox.Find(pending, "call_2_1").SessionId);
    }

    [Fact]
    public void Find_CallIdContainingAColon_FoundWhole()
    {
        PendingApproval[] pending = [Waiting("aaaa1111", "functions.shell:0")];

        Assert.Equal("aaaa1111", ApprovalInbox.Find(pending, "functions.shell:0").SessionId);
        Assert.Equal("aaaa1111", ApprovalInbox.Find(pending, "aaaa:functions.shell:0").SessionId);
    }

    [Fact]
    public void Find_NothingMatches_SaysSoAndWhereToLook()
    {
        var error = Assert.Throws<ApprovalException>(() => ApprovalInbox.Find(Three, "dddd:call_2_1"));

        Assert.Contains("rein approvals list", error.Message, StringComparison.Ordinal);
    }
}
