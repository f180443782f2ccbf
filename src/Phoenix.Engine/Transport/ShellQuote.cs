using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// The one place that quotes for a POSIX shell. Every remote command line is built here from
    /// arguments; nothing else in Phoenix concatenates user values into a command.
    /// </summary>
    public static class ShellQuote
    {
        /// <summary>
        /// Quotes one argument so that <c>sh</c> passes it through unchanged. Plain words stay bare
        /// (readable logs); anything else is wrapped in single quotes, with each single quote
        /// written as <c>'\''</c>. NUL cannot be carried by any POSIX argument and is refused.
        /// </summary>
        public static string Quote(string argument)
        {
            if (argument == null) throw new ArgumentNullException(nameof(argument));
            if (argument.IndexOf('\0') >= 0)
                throw new ArgumentException("An argument for a remote command cannot contain a NUL character.", nameof(argument));
            if (argument.Length > 0 && argument.All(IsSafe)) return argument;
            var sb = new StringBuilder(argument.Length + 2);
            sb.Append('\'');
            foreach (var c in argument)
            {
                if (c == '\'') sb.Append("'\\''");
                else sb.Append(c);
            }
            sb.Append('\'');
            return sb.ToString();
        }

        /// <summary>Quotes each argument and joins them with spaces.</summary>
        public static string Join(IEnumerable<string> arguments) => string.Join(" ", arguments.Select(Quote));

        private static bool IsSafe(char c) =>
            // `=` is left out: a leading NAME=value word would be a shell assignment.
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == ',' || c == '+' || c == '@' || c == '%';
    }
}
