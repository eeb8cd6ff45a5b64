namespace Rein.Guard;

/// <summary>Facts about the guard layer shared by its parts.</summary>
public static class GuardInfo
{
    /// <summary>The name of the folder, inside a workspace, that holds project settings.</summary>
    public const string ProjectFolder = ".rein";
}
