using System;
using System.Collections;
using System.Collections.Specialized;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// The fields of a VM (or of its network_config or user_config) that Phoenix does not know, nested and in file order.
    /// A <see cref="JObject"/> for the engine and for scripts (<c>.Properties()</c>, <c>['volumes']</c>), and read-only
    /// dictionary of plain values (ordered dictionaries, arrays, strings, numbers, booleans) to whatever walks it as a
    /// dictionary: PowerShell's ConvertTo-Json writes it as the object it is in the file. A plain JObject there comes out
    /// as nested empty arrays (ConvertTo-Json sees a list of properties; it knows JObject only from its own copy of the
    /// library, and Phoenix loads its own).
    /// </summary>
    public sealed class ExtraFields : JObject, IDictionary
    {
        /// <summary>No fields.</summary>
        public ExtraFields()
        {
        }

        /// <summary>A copy of <paramref name="fields"/>.</summary>
        public ExtraFields(JObject fields) : base(fields ?? throw new ArgumentNullException(nameof(fields)))
        {
        }

        /// <summary><paramref name="fields"/> itself when it is already one, else a copy of it (null: none).</summary>
        public static ExtraFields From(JObject? fields) => fields as ExtraFields ?? (fields == null ? new ExtraFields() : new ExtraFields(fields));

        private OrderedDictionary Plain() => (OrderedDictionary)JsonPlain.ToPlain(this)!;

        bool IDictionary.IsFixedSize => true;

        bool IDictionary.IsReadOnly => true;

        ICollection IDictionary.Keys => Plain().Keys;

        ICollection IDictionary.Values => Plain().Values;

        object? IDictionary.this[object key]
        {
            get => key is string name && ContainsKey(name) ? JsonPlain.ToPlain(this[name]!) : null;
            set => throw new NotSupportedException("The fields of a loaded config are read-only.");
        }

        bool IDictionary.Contains(object key) => key is string name && ContainsKey(name);

        void IDictionary.Add(object key, object? value) => throw new NotSupportedException("The fields of a loaded config are read-only.");

        void IDictionary.Clear() => throw new NotSupportedException("The fields of a loaded config are read-only.");

        void IDictionary.Remove(object key) => throw new NotSupportedException("The fields of a loaded config are read-only.");

        IDictionaryEnumerator IDictionary.GetEnumerator() => Plain().GetEnumerator();
    }
}
