using ProCo.Data.Entities;

namespace ProCo.Web.Live;

/// <summary>The publisher of processes without browsers (worker, CLI): the numbers are in the database, which the web app follows.</summary>
public sealed class NoRunPublisher : IRunPublisher
{
    public void Points(long runId, int stepsPerEpoch, IReadOnlyList<LivePoint> points)
    {
    }

    public void Vector(VectorMessage message)
    {
    }

    public void Run(RunMessage message)
    {
    }
}
