namespace ProCo.Training.Engine;

/// <summary>The learning rate of each epoch: linear warm-up, then step decay or cosine.</summary>
public static class LearningRateSchedule
{
    /// <summary>Learning rate for 0-based <paramref name="epoch"/>.</summary>
    public static double At(TrainingConfig config, int epoch)
    {
        var warmup = config.ResolvedWarmup;
        if (epoch < warmup) return config.LearningRate * (epoch + 1) / warmup;
        if (config.Schedule == "cosine")
        {
            // lr · ½ (1 + cos(π (e − warmup) / (epochs − warmup)))
            var progress = (double)(epoch - warmup) / System.Math.Max(1, config.Epochs - warmup);
            return config.LearningRate * 0.5 * (1 + System.Math.Cos(System.Math.PI * progress));
        }
        var decays = config.Milestones.Count(m => epoch >= m);
        return config.LearningRate * System.Math.Pow(0.1, decays);
    }
}
