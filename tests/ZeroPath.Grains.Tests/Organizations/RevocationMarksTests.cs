using ZeroPath.Tokens;

namespace ZeroPath.Grains.Tests.Organizations;

public class RevocationMarksTests
{
    [Fact]
    public void Nothing_is_revoked_at_first()
    {
        Assert.False(RevocationMarks.None.Revokes("alice", 0));
    }

    [Fact]
    public void An_organization_mark_revokes_every_members_tokens_up_to_its_epoch_and_none_after()
    {
        var marks = RevocationMarks.None.RevokeOrganization(3);

        Assert.True(marks.Revokes("alice", 0));
        Assert.True(marks.Revokes("bob", 3));
        Assert.False(marks.Revokes("alice", 4));
    }

    [Fact]
    public void A_member_mark_revokes_only_that_members_tokens()
    {
        var marks = RevocationMarks.None.RevokeMember("alice", 2);

        Assert.True(marks.Revokes("alice", 2));
        Assert.False(marks.Revokes("alice", 3));
        Assert.False(marks.Revokes("bob", 0));
    }

    [Fact]
    public void Marks_only_rise_so_merging_in_any_order_gives_the_same_marks()
    {
        var older = RevocationMarks.None.RevokeOrganization(1).RevokeMember("alice", 2);
        var newer = older.RevokeOrganization(5).RevokeMember("bob", 6);

        var oldThenNew = older.Merge(newer);
        var newThenOld = newer.Merge(older);

        Assert.True(oldThenNew.Covers(newer) && newer.Covers(oldThenNew));
        Assert.True(newThenOld.Covers(newer) && newer.Covers(newThenOld));
        Assert.Same(newer, newer.RevokeOrganization(2).RevokeMember("alice", 1));
        Assert.False(older.Covers(newer));
    }
}
