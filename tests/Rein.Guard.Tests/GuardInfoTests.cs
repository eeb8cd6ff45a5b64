namespace Rein.Guard.Tests;

public sealed class GuardInfoTests
{
    [Fact]
    public void ProjectFolder_IsDotRein() => Assert.Equal(".rein", GuardInfo.ProjectFolder);
}
