namespace UsbGadget.Tests.FunctionFs;

/// <summary>Tells on which thread an await of a pending endpoint operation resumes when a completion arrives on a thread of its own.</summary>
internal static class CompletionThreadProbe
{
    /// <summary>
    /// Starts <paramref name="await"/>, then runs <paramref name="complete"/> on a new thread, and says whether the code
    /// after the await ran on that thread.
    /// </summary>
    /// <param name="await">
    /// Awaits the pending operation with <c>ConfigureAwait(false)</c> and returns <see cref="Thread.CurrentThread"/>. It is
    /// called here, before the completion exists, so its continuation is registered on the pending operation rather than
    /// racing with the completion (a late await of a finished operation resumes wherever it was made).
    /// </param>
    /// <param name="complete">Completes the operation, as the engine's completion thread would.</param>
    /// <remarks>
    /// Threads are compared by reference, not id, so a finished thread's id being reused cannot fake a match; and nothing
    /// here blocks, because the test's own continuation may run on the completing thread.
    /// </remarks>
    public static async Task<bool> ResumesOnTheCompletingThreadAsync(Func<Task<Thread>> @await, Action complete)
    {
        Task<Thread> resumed = @await();
        Assert.False(resumed.IsCompleted, "The awaited operation finished before its completion was sent.");

        var completer = new Thread(() => complete()) { IsBackground = true, Name = "fake completion thread" };
        completer.Start();
        Thread resumedOn = await resumed.WaitAsync(TimeSpan.FromSeconds(10));
        return ReferenceEquals(resumedOn, completer);
    }
}
