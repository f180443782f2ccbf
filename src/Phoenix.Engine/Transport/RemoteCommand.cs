using System;
using System.Collections.Generic;
using System.Linq;

namespace Phoenix.Engine.Transport
{
    /// <summary>
    /// One remote command as a list of arguments. Arguments marked secret are shown as
    /// <see cref="Redacted"/> in <see cref="ToDisplayString"/>, which is what logs and -WhatIf print.
    /// </summary>
    public sealed class RemoteCommand
    {
        public const string Redacted = "<redacted>";

        private readonly List<string> _args = new List<string>();
        private readonly HashSet<int> _secretIndexes = new HashSet<int>();

        public RemoteCommand(string program, params string[] args)
        {
            if (string.IsNullOrEmpty(program)) throw new ArgumentException("A command needs a program.", nameof(program));
            _args.Add(program);
            Add(args);
        }

        /// <summary>Program and arguments, unquoted.</summary>
        public IReadOnlyList<string> Arguments => _args;

        /// <summary>Bytes sent to the command's standard input, or null.</summary>
        public byte[]? StandardInput { get; set; }

        /// <summary>True when the standard input holds a secret (it is never shown anyway, only its length).</summary>
        public bool StandardInputIsSecret { get; set; }

        /// <summary>
        /// What the command does, in a few words, for plans and progress (for example
        /// <c>write /tmp/vm_context.json (990 bytes)</c> for a guest program); null when the command line says
        /// it best. Never a secret: it is shown as it is. <see cref="ToDisplayString"/> stays the exact command.
        /// </summary>
        public string? Description { get; set; }

        /// <summary>Adds plain arguments (shown as they are in logs).</summary>
        public RemoteCommand Add(params string[] args)
        {
            if (args == null) throw new ArgumentNullException(nameof(args));
            // Checked here rather than at quoting time so the error points at the code that added it.
            if (args.Any(a => a == null)) throw new ArgumentNullException(nameof(args), "A command argument cannot be null.");
            _args.AddRange(args);
            return this;
        }

        /// <summary>Adds an argument whose value must never be shown.</summary>
        public RemoteCommand AddSecret(string value)
        {
            if (value == null) throw new ArgumentNullException(nameof(value));
            _secretIndexes.Add(_args.Count);
            _args.Add(value);
            return this;
        }

        /// <summary>Adds an option and its value (for example <c>--cores 4</c>).</summary>
        public RemoteCommand AddOption(string name, string value, bool secret = false)
        {
            _args.Add(name);
            return secret ? AddSecret(value) : Add(value);
        }

        /// <summary>The command line the remote shell receives.</summary>
        public string ToShellString() => ShellQuote.Join(_args);

        /// <summary>The command line as logs and -WhatIf show it: quoted like the real one, secrets replaced.</summary>
        public string ToDisplayString()
        {
            var shown = _args.Select((a, i) => _secretIndexes.Contains(i) ? Redacted : a);
            var text = ShellQuote.Join(shown);
            if (StandardInput != null) text += $" <<< ({StandardInput.Length} bytes on stdin)";
            return text;
        }

        public override string ToString() => ToDisplayString();
    }
}
