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
        /// written as <c>'\''</c>. NUL cannot be carried by any POSIX argument and is refused; so is
        /// a lone UTF-16 surrogate, which has no UTF-8 form and would arrive altered.
        /// </summary>
        /// <exception cref="ArgumentException">The argument holds NUL or a lone surrogate. The message never repeats the value (it may be a secret).</exception>
        public static string Quote(string argument)
        {
            if (argument == null) throw new ArgumentNullException(nameof(argument));
            var refusal = Refusal(argument);
            if (refusal != null) throw new ArgumentException(refusal, nameof(argument));
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

        /// <summary>
        /// Why <paramref name="argument"/> cannot be an argument of a remote command (it holds a NUL, which ends a C
        /// string, or a lone UTF-16 surrogate, which has no UTF-8 form), or null when it can: every other text is quoted.
        /// </summary>
        public static string? Refusal(string argument)
        {
            if (argument.IndexOf('\0') >= 0) return "An argument for a remote command cannot contain a NUL character.";
            var badSurrogate = FindLoneSurrogate(argument);
            if (badSurrogate >= 0) return $"An argument for a remote command holds a lone UTF-16 surrogate at index {badSurrogate}; it has no UTF-8 form.";
            return null;
        }

        private static int FindLoneSurrogate(string s)
        {
            for (var i = 0; i < s.Length; i++)
            {
                var c = s[i];
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
                    return i;
                }
                if (char.IsLowSurrogate(c)) return i;
            }
            return -1;
        }

        private static bool IsSafe(char c) =>
            // `=` is left out: a leading NAME=value word would be a shell assignment.
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == ',' || c == '+' || c == '@' || c == '%';
    }
}
