using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using Phoenix.Engine.Errors;
using Phoenix.Engine.Features;

namespace Phoenix.PowerShell.Infrastructure
{
    /// <summary>
    /// What the completers share: the word typed so far (without an opening quote), prefix matching that ignores
    /// case, and completion text quoted when PowerShell needs it.
    /// </summary>
    public abstract class PhoenixCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var word = (wordToComplete ?? "").Trim('\'', '"');
            try
            {
                return Complete(parameterName, word, fakeBoundParameters).ToList();
            }
            catch (PhoenixException)
            {
                // A bad -FeaturePath, a VM that is gone: Tab offers nothing rather than an error at the prompt.
                return Array.Empty<CompletionResult>();
            }
        }

        /// <summary>The completions for <paramref name="word"/>.</summary>
        protected abstract IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters);

        /// <summary>True when <paramref name="candidate"/> starts with <paramref name="word"/>, ignoring case.</summary>
        protected static bool Matches(string candidate, string word) => candidate.StartsWith(word, StringComparison.OrdinalIgnoreCase);

        /// <summary>A completion whose text is quoted when it holds a character PowerShell would read otherwise.</summary>
        protected static CompletionResult Result(string text, string toolTip, string? listItem = null)
        {
            var safe = text.Length > 0 && text.All(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.') && text[0] != '-';
            var completion = safe ? text : "'" + text.Replace("'", "''") + "'";
            return new CompletionResult(completion, listItem ?? text, CompletionResultType.ParameterValue, toolTip.Length > 0 ? toolTip : text);
        }

        /// <summary>A VMID given on the command line (<c>-VmId 201</c>), or null.</summary>
        protected static int? BoundVmId(IDictionary bound, string parameterName)
        {
            if (bound == null || !bound.Contains(parameterName)) return null;
            var value = bound[parameterName];
            if (value is PSObject p) value = p.BaseObject;
            if (value is IEnumerable list && !(value is string)) value = list.Cast<object>().FirstOrDefault();
            if (value is PSObject q) value = q.BaseObject;
            return value != null && int.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id : (int?)null;
        }
    }

    /// <summary>VMIDs of the session's node, the VM's name and status in the tooltip; a word that is not a number matches names.</summary>
    public sealed class VmIdCompleter : PhoenixCompleter
    {
        protected override IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters)
        {
            var session = HostAnswers.SessionFor(fakeBoundParameters);
            if (session == null) yield break;
            var vms = HostAnswers.Ask(session, "vms", (h, ct) => h.GetVmsAsync(cancellationToken: ct));
            if (vms == null) yield break;
            var byName = word.Length > 0 && !word.All(char.IsDigit);
            foreach (var vm in vms.OrderBy(v => v.VmId))
            {
                var id = vm.VmId.ToString(CultureInfo.InvariantCulture);
                if (byName ? !Matches(vm.Name, word) : !id.StartsWith(word, StringComparison.Ordinal)) continue;
                yield return Result(id, $"{vm.Name} ({vm.Status})", $"{id} {vm.Name}");
            }
        }
    }

    /// <summary>VM names of the session's node, the VMID and status in the tooltip.</summary>
    public sealed class VmNameCompleter : PhoenixCompleter
    {
        protected override IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters)
        {
            var session = HostAnswers.SessionFor(fakeBoundParameters);
            if (session == null) yield break;
            var vms = HostAnswers.Ask(session, "vms", (h, ct) => h.GetVmsAsync(cancellationToken: ct));
            if (vms == null) yield break;
            foreach (var vm in vms.Where(v => v.Name.Length > 0 && Matches(v.Name, word)).OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase))
                yield return Result(vm.Name, $"VM {vm.VmId.ToString(CultureInfo.InvariantCulture)} ({vm.Status})");
        }
    }

    /// <summary>
    /// Snapshot names of the VM on the command line (-VmId, or -CloneFromVmId for New-PhoenixVm -SnapshotName),
    /// with the snapshot's time and description in the tooltip. No VM given, nothing offered.
    /// </summary>
    public sealed class SnapshotNameCompleter : PhoenixCompleter
    {
        protected override IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters)
        {
            var vmId = BoundVmId(fakeBoundParameters, parameterName == "SnapshotName" ? "CloneFromVmId" : "VmId");
            var session = HostAnswers.SessionFor(fakeBoundParameters);
            if (vmId == null || session == null) yield break;
            var id = vmId.Value;
            var snapshots = HostAnswers.Ask(session, "snapshots " + id.ToString(CultureInfo.InvariantCulture), (h, ct) => h.ListSnapshotsAsync(id, ct));
            if (snapshots == null) yield break;
            foreach (var s in snapshots.Where(s => !s.IsCurrent && Matches(s.Name, word)))
            {
                var when = s.Time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
                var tip = string.Join(": ", new[] { when, s.Description?.Trim() }.Where(t => !string.IsNullOrEmpty(t)));
                yield return Result(s.Name, tip.Length > 0 ? $"VM {id}, {tip}" : $"VM {id}");
            }
        }
    }

    /// <summary>
    /// Feature names from the feature folders (the same folders the feature cmdlets search, with a -FeaturePath
    /// on the command line), the script's description in the tooltip. Reads only local folders.
    /// </summary>
    public sealed class FeatureNameCompleter : PhoenixCompleter
    {
        protected override IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters)
        {
            var catalog = FeatureFolders.ForCompletion(BoundStrings(fakeBoundParameters, "FeaturePath"));
            foreach (var f in catalog.GetAll().Where(f => Matches(f.Name, word)))
                yield return Result(f.Name, f.Description ?? f.FileName);
        }

        private static IReadOnlyList<string> BoundStrings(IDictionary bound, string name)
        {
            if (bound == null || !bound.Contains(name)) return Array.Empty<string>();
            var value = bound[name];
            if (value is PSObject p) value = p.BaseObject;
            if (value is string s) return new[] { s };
            if (value is IEnumerable list) return list.Cast<object>().Select(o => Convert.ToString(o is PSObject q ? q.BaseObject : o, CultureInfo.InvariantCulture) ?? "").ToList();
            return Array.Empty<string>();
        }
    }

    /// <summary>The nodes of the session's cluster (its lone node outside one), online or not in the tooltip.</summary>
    public sealed class NodeNameCompleter : PhoenixCompleter
    {
        protected override IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters)
        {
            var session = HostAnswers.SessionFor(fakeBoundParameters);
            if (session == null) yield break;
            var nodes = HostAnswers.Ask(session, "nodes", (h, ct) => h.GetNodesAsync(ct));
            if (nodes == null) yield break;
            foreach (var n in nodes.Where(n => Matches(n.Name, word)).OrderBy(n => n.Name, StringComparer.Ordinal))
                yield return Result(n.Name, $"node {n.Name} ({n.Status})");
        }
    }

    /// <summary>
    /// Storages of the session's node that can hold what the parameter puts there (snippets for -SnippetStorage,
    /// disk images for -Storage and -StoragePool), with type, status and free space in the tooltip.
    /// </summary>
    public sealed class StorageNameCompleter : PhoenixCompleter
    {
        protected override IEnumerable<CompletionResult> Complete(string parameterName, string word, IDictionary fakeBoundParameters)
        {
            var session = HostAnswers.SessionFor(fakeBoundParameters);
            if (session == null) yield break;
            var content = parameterName == "SnippetStorage" ? "snippets"
                : parameterName == "Storage" || parameterName == "StoragePool" ? "images"
                : null;
            var storages = HostAnswers.Ask(session, "storages " + (content ?? "all"), (h, ct) => h.StorageStatusAsync(null, ct, content));
            if (storages == null) yield break;
            foreach (var s in storages.Where(s => Matches(s.Name, word)))
            {
                var free = (s.AvailableKiB / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
                yield return Result(s.Name, $"{s.Type}, {s.Status}, {free} GiB free");
            }
        }
    }
}
