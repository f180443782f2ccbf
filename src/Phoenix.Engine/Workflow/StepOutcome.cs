using System;
using System.Collections.Generic;

namespace Phoenix.Engine.Workflow
{
    /// <summary>What one step did: whether it changed anything, what, and what the user should know.</summary>
    public sealed class StepOutcome
    {
        public static StepOutcome Unchanged(string? note = null) =>
            new StepOutcome(Array.Empty<string>(), note == null ? Array.Empty<string>() : new[] { note });

        public static StepOutcome Of(params string[] changes) => new StepOutcome(changes, Array.Empty<string>());

        public StepOutcome(IReadOnlyList<string> changes, IReadOnlyList<string> notes, IReadOnlyList<string>? warnings = null)
        {
            Changes = changes;
            Notes = notes;
            Warnings = warnings ?? Array.Empty<string>();
        }

        public IReadOnlyList<string> Changes { get; }
        /// <summary>Informational lines (Verbose).</summary>
        public IReadOnlyList<string> Notes { get; }
        /// <summary>Lines the user must see (Warning).</summary>
        public IReadOnlyList<string> Warnings { get; }
        public bool Changed => Changes.Count > 0;
    }
}
