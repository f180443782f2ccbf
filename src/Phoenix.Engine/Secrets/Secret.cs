using System;

namespace Phoenix.Engine.Secrets
{
    /// <summary>
    /// A value that must never be displayed: a password hash, a passphrase. Its only public way out is
    /// <see cref="Reveal"/>, so PowerShell's formatter, <c>ConvertTo-Json</c>, string interpolation and
    /// loggers all see the mask instead of the value.
    /// </summary>
    public sealed class Secret : IEquatable<Secret>
    {
        private readonly string _value;

        /// <summary>Wraps <paramref name="value"/>; null is taken as empty.</summary>
        public Secret(string? value)
        {
            _value = value ?? string.Empty;
        }

        /// <summary>True when the wrapped value is the empty string.</summary>
        public bool IsEmpty => _value.Length == 0;

        /// <summary>The value itself. Call it only where the value is really needed (rendering user-data).</summary>
        public string Reveal() => _value;

        /// <summary>Always the mask, never the value.</summary>
        public override string ToString() => SecretMasker.Mask;

        /// <inheritdoc />
        public bool Equals(Secret? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

        /// <inheritdoc />
        public override bool Equals(object? obj) => obj is Secret s && Equals(s);

        /// <inheritdoc />
        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);
    }
}
