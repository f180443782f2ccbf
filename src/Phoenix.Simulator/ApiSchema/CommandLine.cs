using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Phoenix.Simulator.Internal;

// ApiSchema: each command's API parameters and how the CLI reads them, as PVE::JSONSchema and
// PVE::CLIHandler do. (The phoenix-sim program that the fake host runs is src/Phoenix.Simulator.Cli.)
namespace Phoenix.Simulator.ApiSchema
{
    /// <summary>raise_param_exc: `400 Parameter verification failed.` with per-parameter errors.</summary>
    internal sealed class ParamException : Exception
    {
        public ParamException(string key, string message) : base("Parameter verification failed.")
        {
            Errors[key] = message;
        }

        public ParamException(IDictionary<string, string> errors) : base("Parameter verification failed.")
        {
            foreach (var kv in errors) Errors[kv.Key] = kv.Value;
        }

        public SortedDictionary<string, string> Errors { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

        /// <summary>PVE::Exception stringify, without the usage line.</summary>
        public string Render() => "400 Parameter verification failed.\n" + string.Concat(Errors.Select(e => e.Key + ": " + e.Value + "\n"));
    }

    /// <summary>An HTTP-coded PVE::Exception without parameter errors (`400 not enough arguments`).</summary>
    internal sealed class HttpException : Exception
    {
        public HttpException(int code, string message) : base(message) { Code = code; }

        public int Code { get; }

        public string Render() => Code.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + Message + "\n";
    }

    /// <summary>A command of qm/pvesm/pvesh as CLIHandler sees it: API parameters plus positional ones.</summary>
    internal sealed class CommandDef
    {
        public CommandDef(string prefix, string group, string kind, string[] argParams, IEnumerable<Prop> props,
            Func<Commands.NodeCommands, CommandContext, int> run)
        {
            Prefix = prefix;
            Group = group;
            Kind = kind;
            ArgParams = argParams;
            foreach (var p in props) Props[p.Name] = p;
            Run = run;
        }

        /// <summary>"qm clone", used in usage lines.</summary>
        public string Prefix { get; }

        /// <summary>The API class, used only to group commands in the usage listing.</summary>
        public string Group { get; }

        public string[] ArgParams { get; }

        public SortedDictionary<string, Prop> Props { get; } = new SortedDictionary<string, Prop>(StringComparer.Ordinal);

        public Func<Commands.NodeCommands, CommandContext, int> Run { get; }

        /// <summary>The fault-plan kind of the command ("clone", "exec", ...).</summary>
        public string Kind { get; }

        /// <summary>Adds ` [FORMAT_OPTIONS]` to the usage (pvesh).</summary>
        public bool FormatOptions { get; set; }

        /// <summary>Options whose value is a file the CLI reads (qm's sshkeys).</summary>
        public HashSet<string> FileParams { get; } = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>RESTHandler getopt_usage in its 'short' format.</summary>
        public string Usage()
        {
            var args = new StringBuilder();
            foreach (var a in ArgParams)
            {
                if (!Props.TryGetValue(a, out var pd)) continue;
                if (args.Length > 0) args.Append(' ');
                if (pd.ListFormat) args.Append("{<").Append(a).Append(">}");
                else args.Append(pd.Optional ? "[<" + a + ">]" : "<" + a + ">");
            }
            var hasOpts = false;
            foreach (var kv in Props)
            {
                if (ArgParams.Contains(kv.Key)) continue;
                hasOpts = true;
                if (!kv.Value.Optional)
                {
                    if (args.Length > 0) args.Append(' ');
                    var typeName = kv.Value.Type == PropType.String ? "<string>" : "<" + kv.Value.Type.ToString().ToLowerInvariant() + ">";
                    args.Append("--").Append(kv.Key).Append(' ').Append(typeName);
                }
            }
            var sb = new StringBuilder();
            sb.Append(Prefix).Append(' ').Append(args);
            if (hasOpts) sb.Append(" [OPTIONS]");
            if (FormatOptions) sb.Append(" [FORMAT_OPTIONS]");
            sb.Append('\n');
            return sb.ToString();
        }
    }

    /// <summary>The parsed invocation handed to a command.</summary>
    internal sealed class CommandContext
    {
        public CommandContext(CommandDef def, Dictionary<string, string> param, List<string> extraArgs, Invocation invocation)
        {
            Def = def;
            Param = param;
            ExtraArgs = extraArgs;
            Inv = invocation;
        }

        public CommandDef Def { get; }
        public Dictionary<string, string> Param { get; }
        public List<string> ExtraArgs { get; }
        public Invocation Inv { get; }

        public StringBuilder Out => Inv.Out;
        public StringBuilder Err => Inv.Err;

        public string? Get(string key) => Param.TryGetValue(key, out var v) ? v : null;

        public bool Flag(string key) => Get(key) == "1";

        public int Int(string key) => int.Parse(Param[key], System.Globalization.CultureInfo.InvariantCulture);

        public int? IntOpt(string key) => Get(key) is string s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
    }

    /// <summary>The output of one command run.</summary>
    internal sealed class Invocation
    {
        private readonly Func<byte[]?> _stdin;
        private byte[]? _stdinRead;
        private bool _stdinDone;

        public Invocation(Func<byte[]?> stdin, System.Threading.CancellationToken ct)
        {
            _stdin = stdin;
            Ct = ct;
        }

        public StringBuilder Out { get; } = new StringBuilder();
        public StringBuilder Err { get; } = new StringBuilder();
        /// <summary>Standard input, read only when a command asks for it (a remote stdin may never see EOF).</summary>
        public byte[]? Stdin
        {
            get
            {
                if (!_stdinDone)
                {
                    _stdinRead = _stdin();
                    _stdinDone = true;
                }
                return _stdinRead;
            }
        }
        public System.Threading.CancellationToken Ct { get; }
        public CommandDef? Current { get; set; }
    }

    /// <summary>
    /// Getopt::Long as PVE::JSONSchema::get_options configures it: `-` or `--` prefixes, unique
    /// prefixes of option names, case-insensitive names, options anywhere (permute), `--` ends options.
    /// </summary>
    internal static class ArgParser
    {
        public static (Dictionary<string, string> Param, List<string> Extra) Parse(CommandDef def, IReadOnlyList<string> args, StringBuilder err)
        {
            var opts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var positional = new List<string>();
            var failed = false;
            var listParam = def.ArgParams.Length == 1 && def.Props.TryGetValue(def.ArgParams[0], out var lp) && lp.ListFormat ? def.ArgParams[0] : null;

            for (var i = 0; i < args.Count; i++)
            {
                var arg = args[i];
                if (arg == "--")
                {
                    for (var j = i + 1; j < args.Count; j++) positional.Add(args[j]);
                    break;
                }
                if (arg.Length > 1 && arg[0] == '-')
                {
                    var name = arg.StartsWith("--", StringComparison.Ordinal) ? arg.Substring(2) : arg.Substring(1);
                    if (name.Length == 0)
                    {
                        positional.Add(arg);
                        continue;
                    }
                    string? inline = null;
                    var eq = name.IndexOf('=');
                    if (eq >= 0)
                    {
                        inline = name.Substring(eq + 1);
                        name = name.Substring(0, eq);
                    }
                    var prop = Lookup(def, name, listParam, err);
                    if (prop == null)
                    {
                        failed = true;
                        continue;
                    }
                    string value;
                    if (inline != null)
                    {
                        value = inline;
                    }
                    else if (prop.OptionalValue)
                    {
                        if (i + 1 < args.Count && args[i + 1] != "--" && !(args[i + 1].Length > 1 && args[i + 1][0] == '-'))
                            value = args[++i];
                        else value = "";
                    }
                    else
                    {
                        if (i + 1 >= args.Count)
                        {
                            err.Append("Option ").Append(name).Append(" requires an argument\n");
                            failed = true;
                            continue;
                        }
                        value = args[++i];
                    }
                    if (!opts.TryGetValue(prop.Name, out var list)) opts[prop.Name] = list = new List<string>();
                    if (!prop.Repeatable) list.Clear();
                    list.Add(value);
                }
                else
                {
                    positional.Add(arg);
                }
            }
            if (failed) throw new HttpException(400, "unable to parse option");

            var param = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in opts)
            {
                var prop = def.Props[kv.Key];
                param[kv.Key] = prop.ListFormat ? string.Join(",", kv.Value) : kv.Value[kv.Value.Count - 1];
            }

            var extra = new List<string>();
            if (positional.Count > 0)
            {
                if (listParam != null)
                {
                    param[listParam] = string.Join(",", positional);
                }
                else
                {
                    var rest = new Queue<string>(positional);
                    for (var n = 0; n < def.ArgParams.Length; n++)
                    {
                        var name = def.ArgParams[n];
                        if (name == "extra-args")
                        {
                            extra.AddRange(rest);
                            rest.Clear();
                            continue;
                        }
                        if (rest.Count == 0)
                        {
                            for (; n < def.ArgParams.Length; n++)
                            {
                                var p = def.ArgParams[n];
                                if (p != "extra-args" && !def.Props[p].Optional) throw new HttpException(400, "not enough arguments");
                            }
                            break;
                        }
                        param[name] = rest.Dequeue();
                    }
                    if (rest.Count > 0) throw new HttpException(400, "too many arguments");
                }
            }
            else
            {
                foreach (var name in def.ArgParams)
                {
                    if (name == "extra-args") continue;
                    if (!def.Props[name].Optional) throw new HttpException(400, "not enough arguments");
                }
            }

            foreach (var key in param.Keys.ToList())
            {
                if (!def.Props.TryGetValue(key, out var pd)) continue;
                if (pd.Type == PropType.Boolean)
                {
                    if (param[key].Length == 0) param[key] = "1";
                    else if (PveText.ParseBoolean(param[key]) is int b) param[key] = b.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    else throw new HttpException(400, "unable to parse boolean option");
                }
            }
            return (param, extra);
        }

        private static Prop? Lookup(CommandDef def, string name, string? listParam, StringBuilder err)
        {
            var lower = name.ToLowerInvariant();
            var candidates = def.Props.Values.Where(p => p.Name != listParam).ToList();
            var exact = candidates.FirstOrDefault(p => p.Name.ToLowerInvariant() == lower);
            if (exact != null) return exact;
            var hits = candidates.Where(p => p.Name.ToLowerInvariant().StartsWith(lower, StringComparison.Ordinal))
                .Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            if (hits.Count == 1) return def.Props[hits[0]];
            if (hits.Count > 1)
            {
                err.Append("Option ").Append(name).Append(" is ambiguous (").Append(string.Join(", ", hits)).Append(")\n");
                return null;
            }
            err.Append("Unknown option: ").Append(lower).Append('\n');
            return null;
        }

        /// <summary>PVE::JSONSchema::validate over the parsed parameters.</summary>
        public static void Validate(CommandDef def, Dictionary<string, string> param)
        {
            var errors = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in def.Props)
            {
                if (!param.TryGetValue(kv.Key, out var value))
                {
                    if (!kv.Value.Optional && !def.ArgParams.Contains(kv.Key)) errors[kv.Key] = "property is missing and it is not optional";
                    continue;
                }
                var err = SchemaCheck.Check(kv.Value, value, kv.Key);
                if (err != null) errors[kv.Key] = err;
            }
            if (errors.Count > 0) throw new ParamException(errors);
        }
    }
}
