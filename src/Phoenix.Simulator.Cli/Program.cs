namespace Phoenix.Simulator.Cli
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            System.Console.Error.WriteLine("phoenix-sim: not wired yet");
            return 2;
        }
    }
}
