using System;
using System.Collections.Generic;
using System.Linq;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>
    /// A value for a placeholder: a string (always emitted double-quoted, so YAML reads it as a string whatever it
    /// holds), a plain boolean or integer, a list or a string-keyed map of values.
    /// </summary>
    internal sealed class PlaceholderValue
    {
        private PlaceholderValue(Kind kind, string? text, IReadOnlyList<PlaceholderValue>? items, IReadOnlyList<KeyValuePair<string, PlaceholderValue>>? entries)
        {
            ValueKind = kind;
            Text = text;
            Items = items ?? Array.Empty<PlaceholderValue>();
            Entries = entries ?? Array.Empty<KeyValuePair<string, PlaceholderValue>>();
        }

        public enum Kind { String, Plain, List, Map }

        public Kind ValueKind { get; }

        /// <summary>The string, or the plain scalar's text (<c>true</c>, <c>1001</c>).</summary>
        public string? Text { get; }

        public IReadOnlyList<PlaceholderValue> Items { get; }

        public IReadOnlyList<KeyValuePair<string, PlaceholderValue>> Entries { get; }

        public bool IsScalar => ValueKind == Kind.String || ValueKind == Kind.Plain;

        public static PlaceholderValue Str(string s) => new PlaceholderValue(Kind.String, s, null, null);

        public static PlaceholderValue Bool(bool b) => new PlaceholderValue(Kind.Plain, b ? "true" : "false", null, null);

        public static PlaceholderValue Int(int i) => new PlaceholderValue(Kind.Plain, i.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null);

        public static PlaceholderValue List(IEnumerable<PlaceholderValue> items) => new PlaceholderValue(Kind.List, null, items.ToList(), null);

        public static PlaceholderValue StrList(IEnumerable<string> items) => List(items.Select(Str));

        public static PlaceholderValue Map(params (string key, PlaceholderValue value)[] entries)
            => new PlaceholderValue(Kind.Map, null, null, entries.Select(e => new KeyValuePair<string, PlaceholderValue>(e.key, e.value)).ToList());
    }
}
