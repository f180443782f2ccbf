using System;
using System.Collections.Generic;
using System.Text;

namespace Phoenix.Engine.Features
{
    /// <summary>
    /// A feature's log as it arrives in chunks: splits it into lines for streaming (a line cut
    /// between two chunks is held back until its end arrives) and keeps the last
    /// <c>maxBytes</c> of it for the result.
    /// </summary>
    internal sealed class FeatureLog
    {
        private static readonly Encoding Utf8 = new UTF8Encoding(false, false);

        private readonly int _maxBytes;
        private readonly List<byte> _kept = new List<byte>();
        private readonly List<byte> _partialLine = new List<byte>();
        private bool _dropped;

        public FeatureLog(int maxBytes)
        {
            if (maxBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The output limit must be positive.");
            _maxBytes = maxBytes;
        }

        /// <summary>Bytes received so far (the offset of the next poll).</summary>
        public long Received { get; private set; }

        /// <summary>Adds a chunk; returns the lines it completed.</summary>
        public IReadOnlyList<string> Append(byte[] chunk)
        {
            Received += chunk.Length;
            _kept.AddRange(chunk);
            // Trimmed in batches: one RemoveRange per doubling, not per chunk.
            if (_kept.Count > 2 * _maxBytes)
            {
                _kept.RemoveRange(0, _kept.Count - _maxBytes);
                _dropped = true;
            }
            var lines = new List<string>();
            foreach (var b in chunk)
            {
                if (b == (byte)'\n')
                {
                    lines.Add(LineText(_partialLine));
                    _partialLine.Clear();
                }
                else _partialLine.Add(b);
            }
            return lines;
        }

        /// <summary>The unfinished last line, if any (for the end of the run).</summary>
        public string? TakeRest()
        {
            if (_partialLine.Count == 0) return null;
            var text = LineText(_partialLine);
            _partialLine.Clear();
            return text;
        }

        /// <summary>True when the start of the log was dropped.</summary>
        public bool Truncated => _dropped || _kept.Count > _maxBytes;

        /// <summary>The kept end of the log as text; when cut, it starts after the first line end inside the kept part.</summary>
        public string Text
        {
            get
            {
                var start = 0;
                if (Truncated)
                {
                    start = _kept.Count - _maxBytes;
                    if (start < 0) start = 0;
                    var newline = _kept.IndexOf((byte)'\n', start);
                    if (newline >= 0 && newline + 1 < _kept.Count) start = newline + 1;
                }
                return Utf8.GetString(_kept.GetRange(start, _kept.Count - start).ToArray());
            }
        }

        private static string LineText(List<byte> line)
        {
            var text = Utf8.GetString(line.ToArray());
            return text.EndsWith("\r", StringComparison.Ordinal) ? text.Substring(0, text.Length - 1) : text;
        }
    }
}
