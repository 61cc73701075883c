namespace ProCo.Training.Engine;

/// <summary>Where the trainer hands its numbers. Called on the training thread; must not block for long.</summary>
public interface IMetricSink
{
    /// <summary>Called once per <see cref="Trainer.Run"/>, before the first step.</summary>
    void Started(TrainingStart start)
    {
    }

    void Step(StepReport report);
    void Epoch(EpochReport report);

    /// <summary>Called once at the end of a completed run that has a validation split, with its test result.</summary>
    void Tested(TestReport report);
    void Checkpoint(CheckpointReport report);
    void Log(string level, string message);

    /// <summary>
    /// Called before every checkpoint: everything reported so far must be stored when it returns,
    /// so a run resumed from that checkpoint has all the numbers that came before it.
    /// </summary>
    void Flush();
}
