using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Phoenix.Engine.Transport
{
    /// <summary>A connection that reads several small files in one command (one SSH channel instead of one each).</summary>
    internal interface IHostFileBatch
    {
        /// <summary>The files' bytes, in order; null for each that is not there.</summary>
        Task<IReadOnlyList<byte[]?>> ReadFilesAsync(IReadOnlyList<string> remotePaths, CancellationToken cancellationToken = default);
    }

    /// <summary>Reads of several host files at once.</summary>
    internal static class HostFileBatch
    {
        /// <summary>
        /// The bytes of each of <paramref name="remotePaths"/>, null for a file that is not there: in one command where the
        /// connection can (<see cref="IHostFileBatch"/>), else one download after another.
        /// </summary>
        public static async Task<IReadOnlyList<byte[]?>> TryReadAllAsync(IHostConnection connection, IReadOnlyList<string> remotePaths,
            CancellationToken cancellationToken)
        {
            if (connection is IHostFileBatch batch) return await batch.ReadFilesAsync(remotePaths, cancellationToken).ConfigureAwait(false);
            var files = new List<byte[]?>(remotePaths.Count);
            foreach (var path in remotePaths)
            {
                try
                {
                    files.Add(await connection.DownloadAsync(path, cancellationToken).ConfigureAwait(false));
                }
                catch (FileNotFoundException)
                {
                    files.Add(null);
                }
            }
            return files;
        }
    }
}
