using Rein.Guard.Policy;

namespace Rein.Guard.Tests.Policy;

public sealed class PathGlobTests
{
    private static readonly PolicyPaths Paths = new("/work/ws", "/home/u");

    [Fact]
    public void Parse_SamePatternHomeAndCase_GivesTheGlobCompiledBefore()
    {
        var first = PathGlob.Parse("src/**/*.cs", "/home/u");

        Assert.Same(first, PathGlob.Parse("src/**/*.cs", "/home/u"));
        Assert.NotSame(first, PathGlob.Parse("src/**/*.cs", "/home/u", ignoreCase: true));
        Assert.True(first.IsMatch("/work/ws/src/a/b.cs", Paths));
    }

    [Fact]
    public void Parse_HomePatternUnderAnotherHome_IsCompiledForThatHome()
    {
        var mine = PathGlob.Parse("~/.ssh/**", "/home/u");
        var theirs = PathGlob.Parse("~/.ssh/**", "/home/v");

        Assert.True(mine.IsMatch("/home/u/.ssh/id_rsa", Paths));
        Assert.False(theirs.IsMatch("/home/u/.ssh/id_rsa", Paths));
        Assert.True(theirs.IsMatch("/home/v/.ssh/id_rsa", Paths));
    }

    [Fact]
    public void Parse_MalformedPattern_FailsEveryTime()
    {
        Assert.Throws<FormatException>(() => PathGlob.Parse("src/[a", "/home/u"));
        Assert.Throws<FormatException>(() => PathGlob.Parse("src/[a", "/home/u"));
    }
}
