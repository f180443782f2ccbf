using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Phoenix.Engine.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Phoenix.Engine.CloudInit
{
    /// <summary>
    /// Fills a YAML template. The template is parsed first, so a placeholder is known to be one whole YAML node;
    /// its text span is replaced by YamlDotNet's emission of the value (strings double-quoted, lists and maps in
    /// flow style, one line), or the whole entry is cut out when the value is "none". The result is parsed
    /// again and compared event by event with what the template plus the values must give: if a value had
    /// changed the structure, or the cut went wrong, rendering fails instead of producing a bad file.
    /// </summary>
    internal static class YamlTemplateEngine
    {
        private static readonly Regex PlaceholderRe = new Regex("__[A-Z0-9]+(?:_[A-Z0-9]+)*__", RegexOptions.CultureInvariant);
        private static readonly Regex ItemPrefixRe = new Regex(@"^[ \t]*-[ \t]+\z", RegexOptions.CultureInvariant);

        public static string Normalize(string text)
        {
            if (text.Length > 0 && text[0] == '\uFEFF') text = text.Substring(1);
            return text.Replace("\r\n", "\n").Replace('\r', '\n');
        }

        /// <summary>Checks the template and lists its placeholders; throws on unknown or misplaced ones.</summary>
        public static IReadOnlyList<string> Inspect(CloudInitTemplate template)
        {
            var w = new Walker(template, null, null);
            w.Run();
            return w.Seen.Distinct().ToList();
        }

        /// <summary>Renders <paramref name="template"/> with <paramref name="values"/>; <paramref name="vmLabel"/> names the VM in errors.</summary>
        public static string Render(CloudInitTemplate template, IReadOnlyDictionary<string, PlaceholderValue?> values, string vmLabel)
        {
            var w = new Walker(template, values, vmLabel);
            w.Run();
            var output = w.Apply();
            Verify(template, output, w.Expected, vmLabel);
            return output;
        }

        /// <summary>The events of a template's text; broken YAML is a template error naming the line.</summary>
        public static IReadOnlyList<ParsingEvent> ParseTemplate(string text, string source) => Parse(text, source, rendered: false);

        /// <summary>For each event, the placeholder names in it (a scalar's), or an empty array: found once per template.</summary>
        public static IReadOnlyList<string[]> PlaceholdersIn(IReadOnlyList<ParsingEvent> events)
            => events.Select(e => e is Scalar sc ? PlaceholderRe.Matches(sc.Value).Cast<Match>().Select(m => m.Value).ToArray() : Array.Empty<string>())
                .ToList();

        private static List<ParsingEvent> Parse(string text, string source, bool rendered)
        {
            var events = new List<ParsingEvent>();
            try
            {
                var parser = new Parser(new StringReader(text));
                while (parser.MoveNext()) events.Add(parser.Current!);
            }
            catch (YamlException e)
            {
                var line = e.Start.Line.ToString(CultureInfo.InvariantCulture);
                throw rendered
                    ? new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.CloudInitRenderMismatch, "The rendered document from " + source +
                        " is not valid YAML at line " + line + ": " + e.Message, source, e)
                    : new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.CloudInitTemplateSyntax, "Cloud-init template " + source +
                        " is not valid YAML at line " + line + ": " + e.Message, source, e)
                    {
                        RecommendedAction = "Fix the YAML of the template at that line (placeholders like __HOSTNAME__ stand where a value goes).",
                    };
            }
            return events;
        }

        /// <summary>An event the rendered document must have at a given place.</summary>
        private sealed class Expect
        {
            public Type EventType = typeof(ParsingEvent);
            public string? Value;
            public ScalarStyle Style;
            public string Anchor = string.Empty;
            public string Tag = string.Empty;
            public bool FromValue;
            public bool QuotedString;
            public int TemplateLine;

            public static Expect Same(ParsingEvent e)
            {
                var x = new Expect { EventType = e.GetType(), TemplateLine = (int)e.Start.Line };
                switch (e)
                {
                    case Scalar s: x.Value = s.Value; x.Style = s.Style; x.Anchor = Name(s.Anchor); x.Tag = Name(s.Tag); break;
                    case SequenceStart q: x.Anchor = Name(q.Anchor); x.Tag = Name(q.Tag); break;
                    case MappingStart m: x.Anchor = Name(m.Anchor); x.Tag = Name(m.Tag); break;
                    case AnchorAlias a: x.Value = Name(a.Value); break;
                }
                return x;
            }
        }

        private sealed class Frame
        {
            public bool IsMapping;
            public bool Flow;
            public bool ExpectKey = true;
            public int KeyExpectIndex;
            public ParsingEvent? KeyEvent;
            public int Children;
            public int Removed;
        }

        private sealed class Edit
        {
            public int Start;
            public int End;
            public string Text = string.Empty;
        }

        private sealed class Walker
        {
            private readonly CloudInitTemplate _t;
            private readonly IReadOnlyDictionary<string, PlaceholderValue?>? _values;
            private readonly string? _vm;
            private readonly Stack<Frame> _stack = new Stack<Frame>();
            private readonly List<Edit> _edits = new List<Edit>();
            private readonly List<string> _problems = new List<string>();

            public Walker(CloudInitTemplate t, IReadOnlyDictionary<string, PlaceholderValue?>? values, string? vm)
            {
                _t = t;
                _values = values;
                _vm = vm;
            }

            public List<Expect> Expected { get; } = new List<Expect>();

            public List<string> Seen { get; } = new List<string>();

            private string Where(ParsingEvent e) => _t.Source + " line " + e.Start.Line.ToString(CultureInfo.InvariantCulture);

            public void Run()
            {
                for (int index = 0; index < _t.Events.Count; index++)
                {
                    var e = _t.Events[index];
                    switch (e)
                    {
                        case MappingStart m:
                            NodeStart(e);
                            Expected.Add(Expect.Same(e));
                            _stack.Push(new Frame { IsMapping = true, Flow = m.Style == MappingStyle.Flow });
                            break;
                        case SequenceStart s:
                            NodeStart(e);
                            Expected.Add(Expect.Same(e));
                            _stack.Push(new Frame { IsMapping = false, Flow = s.Style == SequenceStyle.Flow });
                            break;
                        case MappingEnd _:
                        case SequenceEnd _:
                            var closed = _stack.Pop();
                            if (!RemoveEmptied(closed)) Expected.Add(Expect.Same(e));
                            NodeEnd();
                            break;
                        case AnchorAlias _:
                            NodeStart(e);
                            Expected.Add(Expect.Same(e));
                            NodeEnd();
                            break;
                        case Scalar sc:
                            NodeStart(e);
                            ScalarEvent(sc, _t.EventPlaceholders[index]);
                            NodeEnd();
                            break;
                        default:
                            Expected.Add(Expect.Same(e));
                            break;
                    }
                }
                if (_problems.Count > 0)
                {
                    var unknown = _problems.Any(p => p.Contains("unknown placeholder"));
                    throw new PhoenixException(PhoenixErrorKind.InvalidData, unknown ? ErrorIds.UnknownPlaceholder : ErrorIds.PlaceholderMisplaced,
                        "Cloud-init template problem" + (_problems.Count > 1 ? "s" : "") + ": " + string.Join("; ", _problems) + ".", _t.Source)
                    {
                        RecommendedAction = unknown
                            ? "Use only the known placeholders: " + string.Join(", ", CloudInitPlaceholders.All.Keys) + "."
                            : "Put each placeholder where a whole value goes (key: __NAME__, - __NAME__, [__NAME__]).",
                    };
                }
            }

            private void NodeStart(ParsingEvent e)
            {
                if (_stack.Count > 0 && _stack.Peek() is { IsMapping: true, ExpectKey: true } f)
                {
                    f.KeyExpectIndex = Expected.Count;
                    f.KeyEvent = e;
                }
            }

            private void NodeEnd()
            {
                if (_stack.Count == 0) return;
                var f = _stack.Peek();
                if (!f.IsMapping)
                {
                    f.Children++;
                    return;
                }
                f.ExpectKey = !f.ExpectKey;
                if (f.ExpectKey) f.Children++; // a key and its value make one entry
            }

            // A block mapping or list whose every entry was left out would read back as null, not as an empty
            // collection: leave out its key line too (nameservers: with neither addresses nor search).
            private bool RemoveEmptied(Frame closed)
            {
                if (_values == null || closed.Flow || closed.Children == 0 || closed.Removed != closed.Children) return false;
                if (_stack.Count == 0) return false;
                var parent = _stack.Peek();
                if (!parent.IsMapping || parent.Flow || parent.ExpectKey || parent.KeyEvent is not Scalar key) return false;
                var text = _t.Text;
                int start = key.Start.IndexInt();
                int lineStart = start == 0 ? 0 : text.LastIndexOf('\n', start - 1) + 1;
                int lineEnd = text.IndexOf('\n', key.End.IndexInt());
                if (lineEnd < 0) lineEnd = text.Length;
                var rest = text.Substring(key.End.IndexInt(), lineEnd - key.End.IndexInt()).Trim();
                if (text.Substring(lineStart, start - lineStart).Trim().Length != 0 || !(rest == ":" || rest.StartsWith(": #",
                    StringComparison.Ordinal) || rest.StartsWith(":#", StringComparison.Ordinal)))
                    return false;
                _edits.Add(new Edit { Start = lineStart, End = Math.Min(text.Length, lineEnd + 1) });
                Expected.RemoveRange(parent.KeyExpectIndex, Expected.Count - parent.KeyExpectIndex);
                parent.Removed++;
                return true;
            }

            private bool IsKey => _stack.Count > 0 && _stack.Peek().IsMapping && _stack.Peek().ExpectKey;

            private void ScalarEvent(Scalar sc, string[] matches)
            {
                if (matches.Length == 0)
                {
                    Expected.Add(Expect.Same(sc));
                    return;
                }
                var bad = false;
                foreach (var name in matches.Distinct())
                {
                    if (!CloudInitPlaceholders.All.ContainsKey(name)) { _problems.Add(Where(sc) + ": unknown placeholder " + name); bad = true; }
                    else Seen.Add(name);
                }
                if (IsKey) { _problems.Add(Where(sc) + ": placeholder in a key (" + string.Join(", ", matches) +
                    "); placeholders stand for values only"); bad = true; }
                if (!sc.Anchor.IsEmpty || !sc.Tag.IsEmpty) { _problems.Add(Where(sc) +
                    ": placeholder with an anchor or tag; remove the &anchor / !tag"); bad = true; }
                if (bad || _values == null)
                {
                    Expected.Add(Expect.Same(sc));
                    return;
                }

                if (matches.Length == 1 && matches[0] == sc.Value)
                {
                    var name = matches[0];
                    var v = _values[name];
                    if (v == null)
                    {
                        if (CloudInitPlaceholders.Required.Contains(name)) MissingRequired(sc, name);
                        Remove(sc, name);
                        return;
                    }
                    _edits.Add(new Edit { Start = sc.Start.IndexInt(), End = sc.End.IndexInt(), Text = Emit(v) });
                    AddExpected(v, (int)sc.Start.Line);
                    return;
                }

                // A placeholder inside a longer string: the whole string is rebuilt and re-quoted.
                var composed = PlaceholderRe.Replace(sc.Value, m =>
                {
                    var v = _values[m.Value];
                    if (v == null)
                    {
                        if (CloudInitPlaceholders.Required.Contains(m.Value)) MissingRequired(sc, m.Value);
                        throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.MissingValue,
                            _vm + " has no value for " + m.Value + ", which " + Where(sc) +
                                " uses inside a longer string (only a whole-value placeholder can be left out).", _t.Source)
                        {
                            RecommendedAction = "Give the VM that value, or use the placeholder as a whole value.",
                        };
                    }
                    if (!v.IsScalar)
                        throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.PlaceholderMisplaced,
                            Where(sc) + ": " + m.Value + " is a list and cannot stand inside a string.", _t.Source)
                        {
                            RecommendedAction = "Use " + m.Value + " as a whole value (key: " + m.Value + ").",
                        };
                    return v.Text!;
                });
                var composedValue = PlaceholderValue.Str(composed);
                _edits.Add(new Edit { Start = sc.Start.IndexInt(), End = sc.End.IndexInt(), Text = Emit(composedValue) });
                AddExpected(composedValue, (int)sc.Start.Line);
            }

            private void MissingRequired(Scalar sc, string name)
            {
                throw new PhoenixException(PhoenixErrorKind.InvalidArgument, ErrorIds.MissingValue,
                    _vm + " has no value for " + name + " (" + CloudInitPlaceholders.All[name] + "), which " + Where(sc) + " needs.", _t.Source)
                {
                    RecommendedAction = name == "__USERNAME__" ? "Add user_config.username to the VM." : name == "__VMID__" ? "Give " +
                        "the VM a vmid." : "Give the VM a name.",
                };
            }

            private void AddExpected(PlaceholderValue v, int line)
            {
                switch (v.ValueKind)
                {
                    case PlaceholderValue.Kind.String:
                        Expected.Add(new Expect { EventType = typeof(Scalar), Value = v.Text, FromValue = true, QuotedString = true, TemplateLine = line });
                        break;
                    case PlaceholderValue.Kind.Plain:
                        Expected.Add(new Expect { EventType = typeof(Scalar), Value = v.Text, FromValue = true, QuotedString = false, TemplateLine = line });
                        break;
                    case PlaceholderValue.Kind.List:
                        Expected.Add(new Expect { EventType = typeof(SequenceStart), TemplateLine = line });
                        foreach (var i in v.Items) AddExpected(i, line);
                        Expected.Add(new Expect { EventType = typeof(SequenceEnd), TemplateLine = line });
                        break;
                    case PlaceholderValue.Kind.Map:
                        Expected.Add(new Expect { EventType = typeof(MappingStart), TemplateLine = line });
                        foreach (var kv in v.Entries)
                        {
                            AddExpected(PlaceholderValue.Str(kv.Key), line);
                            AddExpected(kv.Value, line);
                        }
                        Expected.Add(new Expect { EventType = typeof(MappingEnd), TemplateLine = line });
                        break;
                }
            }

            // Cuts a "none" value out: its key: value line (or flow entry), or its list item.
            private void Remove(Scalar sc, string name)
            {
                var text = _t.Text;
                var frame = _stack.Peek();
                int start, end = sc.End.IndexInt();
                if (frame.IsMapping)
                {
                    if (frame.KeyEvent is not Scalar) throw CannotRemove(sc, name);
                    start = frame.KeyEvent.Start.IndexInt();
                    Expected.RemoveRange(frame.KeyExpectIndex, Expected.Count - frame.KeyExpectIndex);
                }
                else
                {
                    start = sc.Start.IndexInt();
                }

                if (frame.Flow)
                {
                    int after = end;
                    while (after < text.Length && (text[after] == ' ' || text[after] == '\t')) after++;
                    if (after < text.Length && text[after] == ',')
                    {
                        after++;
                        while (after < text.Length && (text[after] == ' ' || text[after] == '\t')) after++;
                        end = after;
                    }
                    else
                    {
                        int before = start - 1;
                        while (before >= 0 && (text[before] == ' ' || text[before] == '\t')) before--;
                        if (before >= 0 && text[before] == ',') start = before;
                    }
                    _edits.Add(new Edit { Start = start, End = end });
                    frame.Removed++;
                    return;
                }

                int lineStart = text.LastIndexOf('\n', Math.Max(0, start - 1)) + 1;
                if (start == 0) lineStart = 0;
                var prefix = text.Substring(lineStart, start - lineStart);
                var prefixOk = frame.IsMapping ? prefix.Trim().Length == 0 : ItemPrefixRe.IsMatch(prefix);
                int lineEnd = text.IndexOf('\n', end);
                if (lineEnd < 0) lineEnd = text.Length;
                var suffix = text.Substring(end, lineEnd - end).Trim();
                if (!prefixOk || (suffix.Length > 0 && suffix[0] != '#')) throw CannotRemove(sc, name);
                _edits.Add(new Edit { Start = lineStart, End = Math.Min(text.Length, lineEnd + 1) });
                frame.Removed++;
            }

            private PhoenixException CannotRemove(Scalar sc, string name)
                => new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.PlaceholderMisplaced,
                    _vm + " has no value for " + name + ", and " + Where(sc) + " is not on a line of its own, so it cannot be left out.", _t.Source)
                {
                    RecommendedAction = "Put 'key: " + name + "' on its own line, and not as the first key of a list item (- name: ...).",
                };

            public string Apply()
            {
                var text = _t.Text;
                var ordered = _edits.ToArray();
                Array.Sort(ordered, (a, b) => a.Start.CompareTo(b.Start));
                var sb = new StringBuilder(text.Length + 256);
                int done = 0;
                foreach (var e in ordered)
                {
                    if (e.Start < done)
                        throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.PlaceholderMisplaced, "Placeholders overlap in " + _t.Source +
                            ".", _t.Source);
                    sb.Append(text, done, e.Start - done).Append(e.Text);
                    done = e.End;
                }
                return sb.Append(text, done, text.Length - done).ToString();
            }
        }

        /// <summary>
        /// One-line YAML text for a value: the only place Phoenix writes YAML. The common values (strings of printable
        /// ASCII without <c>"</c> or <c>\</c>, booleans, integers, and flow lists and maps of them) are written the way
        /// YamlDotNet's emitter writes them, without building an emitter per value; anything else goes through the
        /// emitter. A test holds the two equal, and every render is parsed back and compared, whichever wrote it.
        /// </summary>
        internal static string Emit(PlaceholderValue v)
        {
            if (IsSimple(v))
            {
                var sb = new StringBuilder(64);
                WriteSimple(sb, v);
                return sb.ToString();
            }
            return EmitWithYamlDotNet(v);
        }

        private static bool IsSimple(PlaceholderValue v)
        {
            switch (v.ValueKind)
            {
                case PlaceholderValue.Kind.String:
                    if (v.Text!.Length == 0) return false; // the emitter writes an empty document's start: --- ""
                    foreach (var c in v.Text)
                        if (c < ' ' || c > '~' || c == '"' || c == '\\') return false;
                    return true;
                case PlaceholderValue.Kind.Plain:
                    return v.Text == "true" || v.Text == "false" || IsDecimal(v.Text!);
                case PlaceholderValue.Kind.List:
                    if (v.Items.Count == 0) return false;
                    foreach (var i in v.Items) if (!IsSimple(i)) return false;
                    return true;
                case PlaceholderValue.Kind.Map:
                    if (v.Entries.Count == 0) return false;
                    foreach (var kv in v.Entries) if (!IsSimple(PlaceholderValue.Str(kv.Key)) || !IsSimple(kv.Value)) return false;
                    return true;
                default:
                    return false;
            }
        }

        private static bool IsDecimal(string text)
        {
            if (text.Length == 0 || text.Length > 10 || (text[0] == '0' && text.Length > 1)) return false;
            foreach (var c in text) if (c < '0' || c > '9') return false;
            return true;
        }

        private static void WriteSimple(StringBuilder sb, PlaceholderValue v)
        {
            switch (v.ValueKind)
            {
                case PlaceholderValue.Kind.String:
                    sb.Append('"').Append(v.Text).Append('"');
                    break;
                case PlaceholderValue.Kind.Plain:
                    sb.Append(v.Text);
                    break;
                case PlaceholderValue.Kind.List:
                    sb.Append('[');
                    for (int i = 0; i < v.Items.Count; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        WriteSimple(sb, v.Items[i]);
                    }
                    sb.Append(']');
                    break;
                case PlaceholderValue.Kind.Map:
                    sb.Append('{');
                    for (int i = 0; i < v.Entries.Count; i++)
                    {
                        if (i > 0) sb.Append(", ");
                        sb.Append('"').Append(v.Entries[i].Key).Append("\": ");
                        WriteSimple(sb, v.Entries[i].Value);
                    }
                    sb.Append('}');
                    break;
            }
        }

        /// <summary>What YamlDotNet's emitter writes for <paramref name="v"/> (one line); <see cref="Emit"/> falls back to it.</summary>
        internal static string EmitWithYamlDotNet(PlaceholderValue v)
        {
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            var emitter = new Emitter(sw, new EmitterSettings(2, int.MaxValue, false, 1024));
            emitter.Emit(new StreamStart());
            emitter.Emit(new DocumentStart(null, null, true));
            EmitNode(emitter, v);
            emitter.Emit(new DocumentEnd(true));
            emitter.Emit(new StreamEnd());
            var s = sw.ToString().Replace("\r\n", "\n").TrimEnd('\n');
            if (s.EndsWith("\n...", StringComparison.Ordinal)) s = s.Substring(0, s.Length - 4).TrimEnd('\n');
            if (s.IndexOf('\n') >= 0)
                throw new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.CloudInitRenderMismatch, "A value could not be written as one YAML line.");
            return s;
        }

        private static void EmitNode(IEmitter e, PlaceholderValue v)
        {
            switch (v.ValueKind)
            {
                case PlaceholderValue.Kind.String:
                    e.Emit(new Scalar(null, null, v.Text!, ScalarStyle.DoubleQuoted, false, true));
                    break;
                case PlaceholderValue.Kind.Plain:
                    e.Emit(new Scalar(null, null, v.Text!, ScalarStyle.Plain, true, false));
                    break;
                case PlaceholderValue.Kind.List:
                    e.Emit(new SequenceStart(null, null, true, SequenceStyle.Flow));
                    foreach (var i in v.Items) EmitNode(e, i);
                    e.Emit(new SequenceEnd());
                    break;
                case PlaceholderValue.Kind.Map:
                    e.Emit(new MappingStart(null, null, true, MappingStyle.Flow));
                    foreach (var kv in v.Entries)
                    {
                        EmitNode(e, PlaceholderValue.Str(kv.Key));
                        EmitNode(e, kv.Value);
                    }
                    e.Emit(new MappingEnd());
                    break;
            }
        }

        // The rendered text must parse to exactly the template's events with the values in place.
        private static void Verify(CloudInitTemplate template, string output, List<Expect> expected, string vmLabel)
        {
            var actual = Parse(output, template.Source, rendered: true);
            int n = Math.Min(actual.Count, expected.Count);
            for (int i = 0; i < n; i++)
            {
                var why = Mismatch(expected[i], actual[i]);
                if (why != null) throw Mismatched(template, vmLabel, actual[i].Start.Line, expected[i].TemplateLine, why);
            }
            if (actual.Count != expected.Count)
                throw Mismatched(template, vmLabel, actual.Count > n ? actual[n].Start.Line : actual.LastOrDefault()?.Start.Line ?? 0,
                    expected.Count > n ? expected[n].TemplateLine : 0, "the document has a different number of nodes");
        }

        private static string? Mismatch(Expect x, ParsingEvent a)
        {
            if (a.GetType() != x.EventType) return "expected " + x.EventType.Name + ", found " + a.GetType().Name;
            switch (a)
            {
                case Scalar s:
                    if (!string.Equals(s.Value, x.Value, StringComparison.Ordinal)) return "a value reads back differently";
                    if (x.FromValue)
                    {
                        var quoted = s.Style == ScalarStyle.DoubleQuoted || s.Style == ScalarStyle.SingleQuoted;
                        if (quoted != x.QuotedString || !s.Tag.IsEmpty || !s.Anchor.IsEmpty) return "a value reads back with another type";
                    }
                    else if (s.Style != x.Style || Name(s.Anchor) != x.Anchor || Name(s.Tag) != x.Tag) return "a template value changed";
                    return null;
                case SequenceStart q:
                    return x.FromValue || (Name(q.Anchor) == x.Anchor && Name(q.Tag) == x.Tag) ? null : "a list changed";
                case MappingStart m:
                    return x.FromValue || (Name(m.Anchor) == x.Anchor && Name(m.Tag) == x.Tag) ? null : "a mapping changed";
                case AnchorAlias al:
                    return Name(al.Value) == x.Value ? null : "an alias changed";
                default:
                    return null;
            }
        }

        // YamlDotNet throws when reading the value of an empty anchor or tag.
        private static string Name(AnchorName a) => a.IsEmpty ? string.Empty : a.Value;

        private static string Name(TagName t) => t.IsEmpty ? string.Empty : t.Value;

        private static PhoenixException Mismatched(CloudInitTemplate t, string vm, long outLine, long templateLine, string why)
            => new PhoenixException(PhoenixErrorKind.InvalidData, ErrorIds.CloudInitRenderMismatch,
                "The " + (t.Kind == CloudInitTemplateKind.UserData ? "user-data" : "network-config") + " rendered for " + vm + " from " + t.Source +
                " does not parse back as intended at rendered line " + outLine.ToString(CultureInfo.InvariantCulture) +
                " (template line " + templateLine.ToString(CultureInfo.InvariantCulture) + "): " + why + ". Nothing was written.", t.Source)
            {
                RecommendedAction = "Check the template around that line; a placeholder that may be left out must be on a line of its own.",
            };
    }
}

namespace Phoenix.Engine.CloudInit
{
    internal static class MarkExtensions
    {
        // Templates are far below 2 GiB; the character offset fits an int.
        public static int IndexInt(this YamlDotNet.Core.Mark mark) => checked((int)mark.Index);
    }
}
