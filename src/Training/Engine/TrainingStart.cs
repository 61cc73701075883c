namespace ProCo.Training.Engine;

/// <summary>What a run trains with, known once <see cref="Trainer.Run"/> starts (for a resumed run: what it continues with).</summary>
/// <param name="StepsPerEpoch">Optimisation steps per epoch.</param>
/// <param name="Precision">fp32, bf16 or fp16: the configured precision with <c>auto</c> resolved, or the checkpoint's when resuming.</param>
/// <param name="Detail">The plan in words, e.g. "bf16 (auto: this CPU has avx512_bf16), channels-last".</param>
/// <param name="Device">The device it trains on: cpu or cuda:N (the configured one with <c>auto</c> resolved).</param>
public sealed record TrainingStart(int StepsPerEpoch, string Precision, string Detail, string Device);
