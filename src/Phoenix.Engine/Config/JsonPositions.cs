using System;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Phoenix.Engine.Config
{
    /// <summary>
    /// Turns Newtonsoft's line info (which marks where a token ENDS) into the column where it starts, using
    /// the file's text, so a finding points at the value the user has to change.
    /// </summary>
    internal sealed class JsonPositions
    {
        private readonly string[] _lines;

        public JsonPositions(string? file, string text)
        {
            File = file;
            _lines = text.Replace("\r\n", "\n").Split('\n');
        }

        public string? File { get; }

        public ConfigPosition Of(JToken token) => new ConfigPosition(File, LineOf(token), StartColumn(token), token.Path);

        public ConfigPosition At(int line, int column, string path) => new ConfigPosition(File, line, column, path);

        private static int LineOf(JToken token)
        {
            var li = (IJsonLineInfo)token;
            return li.HasLineInfo() ? li.LineNumber : 0;
        }

        private int StartColumn(JToken token)
        {
            var li = (IJsonLineInfo)token;
            if (!li.HasLineInfo()) return 0;
            int pos = li.LinePosition;
            if (li.LineNumber < 1 || li.LineNumber > _lines.Length) return pos;
            var text = _lines[li.LineNumber - 1];
            int end = Math.Min(pos, text.Length) - 1; // 0-based index of the token's last character
            if (end < 0) return pos;
            try
            {
                switch (token.Type)
                {
                    case JTokenType.Object:
                    case JTokenType.Array:
                        return pos; // the reader stops right after '{' or '['
                    case JTokenType.Property:
                        // The reader consumed the name and the colon: walk back over the colon and blanks to the name.
                        int i = end;
                        if (i >= 0 && text[i] == ':') i--;
                        while (i >= 0 && char.IsWhiteSpace(text[i])) i--;
                        return QuotedStart(text, i) ?? BareStart(text, i);
                    case JTokenType.String:
                        return QuotedStart(text, end) ?? pos;
                    default:
                        return BareStart(text, end);
                }
            }
            catch (IndexOutOfRangeException)
            {
                return pos;
            }
        }

        // text[closing] is a closing quote: find its opening quote (an escaped quote has an odd run of backslashes before it).
        private static int? QuotedStart(string text, int closing)
        {
            if (closing < 0 || (text[closing] != '"' && text[closing] != '\'')) return null;
            var q = text[closing];
            for (int i = closing - 1; i >= 0; i--)
            {
                if (text[i] != q) continue;
                int bs = 0;
                for (int j = i - 1; j >= 0 && text[j] == '\\'; j--) bs++;
                if (bs % 2 == 0) return i + 1;
            }
            return null;
        }

        private static int BareStart(string text, int last)
        {
            int i = last;
            while (i >= 0 && !char.IsWhiteSpace(text[i]) && text[i] != ':' && text[i] != ',' && text[i] != '[' && text[i] != '{') i--;
            return i + 2;
        }
    }
}
