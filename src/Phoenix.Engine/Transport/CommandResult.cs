namespace Phoenix.Engine.Transport
{
    /// <summary>What a remote command returned.</summary>
    public sealed class CommandResult
    {
        public CommandResult(int exitCode, string stdOut, string stdErr)
        {
            ExitCode = exitCode;
            StdOut = stdOut;
            StdErr = stdErr;
        }

        public int ExitCode { get; }
        public string StdOut { get; }
        public string StdErr { get; }
        public bool Succeeded => ExitCode == 0;
    }
}
