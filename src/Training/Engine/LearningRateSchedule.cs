namespace ProCo.Training.Engine;

/// <summary>The learning rate of each epoch, by the public ProCo code's formulas: linear warm-up, then step decay or cosine.</summary>
public static class LearningRateSchedule
{
    /// <summary>Learning rate for 0-based <paramref name="epoch"/>.</summary>
    public static double At(TrainingConfig config, int epoch)
    {
        var warmup = config.ResolvedWarmup;
        if (epoch < warmup) return config.LearningRate * (epoch + 1) / warmup;
        if (config.Schedule == "cosine")
        {
            // As the public code: lr · ½ (1 + cos(π (e − warmup + 1) / (epochs − warmup + 1)))
            var progress = (double)(epoch - warmup + 1) / (config.Epochs - warmup + 1);
            return config.LearningRate * 0.5 * (1 + System.Math.Cos(System.Math.PI * progress));
        }
        var decays = config.Milestones.Count(m => epoch >= m);
        return config.LearningRate * System.Math.Pow(0.1, decays);
    }
}
