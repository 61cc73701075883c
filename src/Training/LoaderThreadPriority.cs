using System.Runtime.InteropServices;

namespace ProCo.Training;

/// <summary>
/// Makes the calling thread a background helper of training: on Linux the kernel schedules it behind
/// the training threads (nice 19), so it fills the moments a step leaves a core idle instead of
/// stalling the step's parallel regions; a thread that runs libtorch operations also keeps them to
/// itself (its own OpenMP team would double the threads competing for the cores). libtorch keeps
/// that team size per thread, but also makes it the default of threads that have not run an
/// operation yet: a thread that trains has run operations before its loader starts (the trainer's
/// constructor builds the model on it), and each training job sets its own count.
/// </summary>
public static class LoaderThreadPriority
{
    private const int PrioProcess = 0;
    private const long SysGettid = 186; // x86-64

    /// <summary>Lowers the calling thread (and with <paramref name="runsTorch"/> keeps its libtorch work on it); says what took.</summary>
    public static string Lower(bool runsTorch)
    {
        // at::get_num_threads is omp_get_max_threads: per thread.
        if (runsTorch) TorchSharp.torch.set_num_threads(1);
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return "one libtorch thread";
        try
        {
            var tid = (int)syscall(SysGettid);
            return setpriority(PrioProcess, tid, 19) == 0 ? "one libtorch thread, nice 19" : "one libtorch thread (nice refused)";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return "one libtorch thread";
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number);

    [DllImport("libc", SetLastError = true)]
    private static extern int setpriority(int which, int who, int priority);
}
