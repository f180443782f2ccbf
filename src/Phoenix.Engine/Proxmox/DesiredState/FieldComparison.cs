using System;

namespace Phoenix.Engine.Proxmox.DesiredState
{
    /// <summary>What converging one field takes.</summary>
    public enum DesiredAction
    {
        /// <summary>Wanted and actual mean the same: nothing to do.</summary>
        Equal,

        /// <summary>One option in the <c>qm set</c> call (<see cref="FieldComparison.SetValue"/>).</summary>
        Set,

        /// <summary>A <c>qm resize</c> of <see cref="FieldComparison.Key"/> to <see cref="FieldComparison.ResizeTo"/>.</summary>
        Resize,

        /// <summary>A difference Phoenix will not touch (a shrink, a disk on another storage, a value it cannot compare); <see cref="FieldComparison.Reason"/> says why.</summary>
        CannotChange,
    }

    /// <summary>
    /// One field of a config compared with the VM's current configuration: what the config wants, what
    /// <c>qm config</c> printed, and what converging takes. A field can give more than one row (a disk
    /// that must grow and whose options differ).
    /// </summary>
    public sealed class FieldComparison
    {
        internal FieldComparison(string field, string key, string? wanted, string? actual, DesiredAction action,
            string? setValue = null, string? resizeTo = null, string? reason = null, bool delete = false)
        {
            IsDelete = delete && action == DesiredAction.Set;
            Field = field ?? throw new ArgumentNullException(nameof(field));
            Key = key ?? throw new ArgumentNullException(nameof(key));
            Wanted = wanted;
            Actual = actual;
            Action = action;
            SetValue = setValue;
            ResizeTo = resizeTo;
            Reason = reason;
            if (action == DesiredAction.Set && setValue == null) throw new ArgumentException("A Set needs its value.", nameof(setValue));
            if (action == DesiredAction.Resize && resizeTo == null) throw new ArgumentException("A Resize needs its size.", nameof(resizeTo));
            if (action == DesiredAction.CannotChange && reason == null) throw new ArgumentException("A change Phoenix will not make needs its reason.", nameof(reason));
        }

        /// <summary>The config's field: <c>cores</c>, <c>disk_size_gb</c>, <c>qm_options.scsi1</c>, or what Phoenix itself needs (<c>agent</c>, <c>cloud-init drive</c>).</summary>
        public string Field { get; }

        /// <summary>The Proxmox option the field lives in (<c>cores</c>, <c>scsi0</c>, <c>startup</c>, ...).</summary>
        public string Key { get; }

        /// <summary>What the config says, as it says it.</summary>
        public string? Wanted { get; }

        /// <summary>What <c>qm config</c> printed (the description decoded); null when the option is not set.</summary>
        public string? Actual { get; }

        /// <summary>What converging takes.</summary>
        public DesiredAction Action { get; }

        /// <summary>The action as the drift report names it: <c>Equal</c>, <c>Set</c>, <c>Resize</c>, <c>None-CannotChange</c>.</summary>
        public string ActionName => Action == DesiredAction.CannotChange ? "None-CannotChange" : Action.ToString();

        /// <summary>For <see cref="DesiredAction.Set"/>: the exact value of <c>qm set --&lt;Key&gt;</c>.</summary>
        public string? SetValue { get; }

        /// <summary>For <see cref="DesiredAction.Set"/>: the option is removed (<c>qm set --delete &lt;Key&gt;</c>) rather than given a value.</summary>
        public bool IsDelete { get; }

        /// <summary>For <see cref="DesiredAction.Resize"/>: the size argument of <c>qm resize &lt;vmid&gt; &lt;Key&gt;</c> (absolute, <c>40G</c>).</summary>
        public string? ResizeTo { get; }

        /// <summary>Why the values differ, or why Phoenix will not change it; for an equal field a note on how it was compared, or null.</summary>
        public string? Reason { get; }

        /// <summary>True when nothing is to be done.</summary>
        public bool IsEqual => Action == DesiredAction.Equal;

        /// <summary><c>field: wanted / actual -&gt; action</c>, for logs.</summary>
        public override string ToString()
        {
            var what = Action switch
            {
                DesiredAction.Set => IsDelete ? $"delete {Key}" : $"set {Key} {SetValue}",
                DesiredAction.Resize => $"resize {Key} {ResizeTo}",
                DesiredAction.CannotChange => "left alone: " + Reason,
                _ => "equal",
            };
            return $"{Field}: wanted {Wanted ?? "(unset)"}, actual {Actual ?? "(unset)"} -> {what}";
        }
    }

    /// <summary>One <c>qm resize &lt;vmid&gt; &lt;Disk&gt; &lt;Size&gt;</c>.</summary>
    public sealed class DiskResize
    {
        internal DiskResize(string disk, string size)
        {
            Disk = disk;
            Size = size;
        }

        /// <summary>The drive key (scsi0, virtio1, ...).</summary>
        public string Disk { get; }

        /// <summary>The new absolute size (<c>40G</c>).</summary>
        public string Size { get; }

        public override string ToString() => Disk + " " + Size;
    }
}
