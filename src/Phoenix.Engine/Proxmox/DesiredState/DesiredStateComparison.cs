using System;
using System.Collections.Generic;
using System.Linq;
using Phoenix.Engine.Transport;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>
    /// A whole config entry compared with a VM: every field's row, and what converging takes as commands:
    /// one <c>qm set</c> with every option at once, then one <c>qm resize</c> per disk that must grow.
    /// </summary>
    public sealed class DesiredStateComparison
    {
        internal DesiredStateComparison(int vmId, IReadOnlyList<FieldComparison> fields)
        {
            VmId = vmId;
            Fields = fields;
            var set = new List<KeyValuePair<string, string>>();
            foreach (var f in fields.Where(f => f.Action == DesiredAction.Set && !f.IsDelete))
            {
                var i = set.FindIndex(kv => kv.Key == f.Key);
                if (i < 0) set.Add(new KeyValuePair<string, string>(f.Key, f.SetValue!));
                else if (set[i].Value != f.SetValue)
                    throw new InvalidOperationException($"VM {vmId}: two fields want {f.Key} set to different values ('{set[i].Value}' and '{f.SetValue}').");
            }
            // qm set takes removals as one comma-separated --delete, after the values.
            var deletes = fields.Where(f => f.Action == DesiredAction.Set && f.IsDelete && set.All(kv => kv.Key != f.Key))
                .Select(f => f.Key).Distinct(StringComparer.Ordinal).ToList();
            if (deletes.Count > 0) set.Add(new KeyValuePair<string, string>("delete", string.Join(",", deletes)));
            SetOptions = set;
            Resizes = fields.Where(f => f.Action == DesiredAction.Resize)
                .GroupBy(f => f.Key, StringComparer.Ordinal)
                .Select(g => new DiskResize(g.Key, g.Last().ResizeTo!))
                .ToList();
        }

        /// <summary>The VM compared.</summary>
        public int VmId { get; }

        /// <summary>Every field compared, equal ones included, in config order (named fields, then qm_options).</summary>
        public IReadOnlyList<FieldComparison> Fields { get; }

        /// <summary>The rows that are not equal: the drift.</summary>
        public IReadOnlyList<FieldComparison> Differences => Fields.Where(f => !f.IsEqual).ToList();

        /// <summary>The differences Phoenix will not touch, with their reasons.</summary>
        public IReadOnlyList<FieldComparison> Untouched => Fields.Where(f => f.Action == DesiredAction.CannotChange).ToList();

        /// <summary>The options of the one <c>qm set</c> call that converges the VM (empty: no call); options to remove come last as <c>delete</c>.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> SetOptions { get; }

        /// <summary>The <c>qm resize</c> calls, to run after the <c>qm set</c>.</summary>
        public IReadOnlyList<DiskResize> Resizes { get; }

        /// <summary>True when a command would change the VM.</summary>
        public bool HasChanges => SetOptions.Count > 0 || Resizes.Count > 0;

        /// <summary>The commands that converge the VM, in order: the <c>qm set</c> (when any), then each <c>qm resize</c>.</summary>
        public IReadOnlyList<RemoteCommand> Commands()
        {
            var list = new List<RemoteCommand>();
            if (SetOptions.Count > 0) list.Add(QmCommand.Set(VmId, SetOptions));
            list.AddRange(Resizes.Select(r => QmCommand.Resize(VmId, r.Disk, r.Size)));
            return list;
        }
    }
}
