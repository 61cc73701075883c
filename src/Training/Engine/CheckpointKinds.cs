namespace ProCo.Training.Engine;

/// <summary>The checkpoints a run keeps, by kind: the file name stem, the database's and the API's word.</summary>
public static class CheckpointKinds
{
    /// <summary>Written at every epoch end and on a cancel: where a run resumes.</summary>
    public const string Last = "last";

    /// <summary>A copy of the last one at the epoch with the best top-1 on the selection split.</summary>
    public const string Best = "best";

    /// <summary>Both kinds.</summary>
    public static readonly IReadOnlyList<string> All = [Last, Best];
}
