using System;
using System.Linq;
using Phoenix.Simulator.State;

namespace Phoenix.Simulator.Guest
{
    /// <summary>
    /// Snapshot, rollback, clone and destroy handling for runners that keep a guest's files under
    /// <see cref="GuestContext.FilesRoot"/>: the files are copied through the state store, so they
    /// follow the VM's snapshots in memory and in a state folder alike. A runner that needs more
    /// fidelity (symlinks, owners, device nodes) overrides these hooks.
    /// </summary>
    public abstract class GuestRunnerBase : IGuestRunner
    {
        /// <inheritdoc />
        public abstract int StartExec(GuestExecRequest request);

        /// <inheritdoc />
        public abstract GuestExecStatus? GetExecStatus(GuestContext guest, int pid);

        /// <inheritdoc />
        public virtual void OnSnapshot(GuestContext guest, string snapshot)
        {
            var target = guest.SnapshotRoot(snapshot) + "/fs";
            guest.Store.DeleteTree(target);
            CopyTree(guest.Store, guest.FilesRoot, target);
        }

        /// <inheritdoc />
        public virtual void OnRollback(GuestContext guest, string snapshot)
        {
            guest.Store.DeleteTree(guest.FilesRoot);
            CopyTree(guest.Store, guest.SnapshotRoot(snapshot) + "/fs", guest.FilesRoot);
            OnStop(guest);
        }

        /// <inheritdoc />
        public virtual void OnDeleteSnapshot(GuestContext guest, string snapshot) => guest.Store.DeleteTree(guest.SnapshotRoot(snapshot));

        /// <inheritdoc />
        public virtual void OnClone(GuestContext source, string? snapshot, GuestContext target)
        {
            target.Store.DeleteTree(target.GuestRoot);
            var from = snapshot == null ? source.FilesRoot : source.SnapshotRoot(snapshot) + "/fs";
            CopyTree(source.Store, from, target.FilesRoot);
        }

        /// <inheritdoc />
        public virtual void OnStop(GuestContext guest) { }

        /// <inheritdoc />
        public virtual void OnDestroy(GuestContext guest) => guest.Store.DeleteTree(guest.GuestRoot);

        /// <summary>Copies every file below <paramref name="from"/> to the same place below <paramref name="to"/>, modes kept.</summary>
        protected static void CopyTree(IStateStore store, string from, string to)
        {
            foreach (var file in store.ListFiles(from).ToList())
            {
                var data = store.ReadFile(file);
                if (data == null) continue;
                var mode = store.GetMode(file) ?? StoreDefaults.FileMode;
                store.WriteFile(to + file.Substring(from.Length), data, mode);
            }
        }
    }
}
