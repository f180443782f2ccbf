// netstandard2.0 lacks these compiler-support types; declaring them lets each assembly use init-only
// properties, records and nullable flow attributes. They are internal, so nothing outside sees them.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}

namespace System.Diagnostics.CodeAnalysis
{
    [System.AttributeUsage(System.AttributeTargets.Parameter)]
    internal sealed class NotNullWhenAttribute : System.Attribute
    {
        public NotNullWhenAttribute(bool returnValue) => ReturnValue = returnValue;
        public bool ReturnValue { get; }
    }

    [System.AttributeUsage(System.AttributeTargets.Parameter)]
    internal sealed class MaybeNullWhenAttribute : System.Attribute
    {
        public MaybeNullWhenAttribute(bool returnValue) => ReturnValue = returnValue;
        public bool ReturnValue { get; }
    }

    [System.AttributeUsage(System.AttributeTargets.Method | System.AttributeTargets.Parameter)]
    internal sealed class DoesNotReturnAttribute : System.Attribute { }
}
